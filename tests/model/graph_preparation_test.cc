// PrepareGraph's rewrites, on graphs built here: constants as initializers, shape arithmetic
// folded with the batch kept open, auto_pad SAME_UPPER / SAME_LOWER as the explicit pads the ONNX
// specification defines, ceil_mode and pad-counting pools; what each leaves alone; and that the
// graphs that result run on the XNNPACK backend. The numbers against onnxruntime and torchvision
// are in graph_preparation_reference_test.cc.

#include "model/graph_preparation.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "model/graph_builder.h"
#include "model/graph_edit.h"
#include "model/model_loader.h"

namespace fruits::model {
namespace {

struct Window {
  std::string op = "Conv";
  std::string auto_pad = "SAME_UPPER";
  int64_t size = 6;  // input height and width
  int64_t kernel = 3;
  int64_t stride = 2;
  int64_t dilation = 1;
};

// One windowed node on a [1, 3, size, size] input (an RGB image), then global pooling.
OnnxModel WindowModel(const Window& w) {
  GraphBuilder b(13);
  b.Input("x", {1, 3, w.size, w.size});
  std::vector<Attribute> attributes = {{"strides", std::vector<int64_t>{w.stride, w.stride}}};
  std::vector<std::string> inputs = {"x"};
  if (w.op == "Conv") {
    inputs.push_back(b.Initializer("w", {3, 3, w.kernel, w.kernel},
                                   std::vector<float>(9 * w.kernel * w.kernel, 0.1f)));
    attributes.push_back({"dilations", std::vector<int64_t>{w.dilation, w.dilation}});
  } else {
    attributes.push_back({"kernel_shape", std::vector<int64_t>{w.kernel, w.kernel}});
  }
  b.Node(w.op, inputs, "y", attributes);
  b.Node("GlobalAveragePool", {"y"}, "pooled");
  b.Output("pooled", {1, 3, 1, 1});
  onnx::AttributeProto& auto_pad =
      *b.mutable_proto().mutable_graph()->mutable_node(0)->add_attribute();
  auto_pad.set_name("auto_pad");
  auto_pad.set_type(onnx::AttributeProto::STRING);
  auto_pad.set_s(w.auto_pad);
  return OnnxModel::Parse(b.Serialize(), "window.onnx");
}

std::vector<int64_t> PadsAfterPreparing(const Window& w) {
  OnnxModel model = WindowModel(w);
  PrepareGraph(model);
  const onnx::NodeProto& node = model.proto().graph().node(0);
  EXPECT_EQ(graph::FindAttribute(node, "auto_pad"), nullptr);
  const onnx::AttributeProto* pads = graph::FindAttribute(node, "pads");
  if (pads == nullptr) return {};
  return {pads->ints().begin(), pads->ints().end()};
}

TEST(PrepareGraph, SameUpperPutsTheOddPadAtTheEndAndSameLowerAtTheStart) {
  // 6 at stride 2, kernel 3: 3 outputs, (3 - 1) * 2 + 3 - 6 = 1 pad.
  EXPECT_EQ(PadsAfterPreparing({.auto_pad = "SAME_UPPER"}), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(PadsAfterPreparing({.auto_pad = "SAME_LOWER"}), (std::vector<int64_t>{1, 1, 0, 0}));
  // Stride 1: 2 pads, one each side.
  EXPECT_EQ(PadsAfterPreparing({.stride = 1}), (std::vector<int64_t>{1, 1, 1, 1}));
  // 7 at stride 2: 4 outputs, (4 - 1) * 2 + 3 - 7 = 2 pads; with kernel 1, none.
  EXPECT_EQ(PadsAfterPreparing({.size = 7}), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(PadsAfterPreparing({.size = 7, .kernel = 1}), (std::vector<int64_t>{0, 0, 0, 0}));
  // Dilation 2 widens the kernel to 5: 4 pads at stride 1.
  EXPECT_EQ(PadsAfterPreparing({.stride = 1, .dilation = 2}), (std::vector<int64_t>{2, 2, 2, 2}));
  // Pooling takes its kernel from kernel_shape: 5 at stride 2, kernel 2: (3 - 1) * 2 + 2 - 5 = 1.
  EXPECT_EQ(PadsAfterPreparing({.op = "MaxPool", .size = 5, .kernel = 2}),
            (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(
      PadsAfterPreparing({.op = "AveragePool", .auto_pad = "SAME_LOWER", .size = 5, .kernel = 2}),
      (std::vector<int64_t>{1, 1, 0, 0}));
}

TEST(PrepareGraph, SaysWhatItRewroteAndLeavesOtherPaddingAlone) {
  OnnxModel same = WindowModel({});
  EXPECT_EQ(PrepareGraph(same),
            std::vector<std::string>{"1 auto_pad SAME_UPPER/SAME_LOWER nodes given explicit pads"});
  OnnxModel valid = WindowModel({.auto_pad = "VALID"});
  EXPECT_TRUE(PrepareGraph(valid).empty());
  EXPECT_EQ(graph::FindAttribute(valid.proto().graph().node(0), "auto_pad")->s(), "VALID");
}

// Before the preparation XNNPACK refused SAME padding; the rewritten graph runs there (the
// torchvision reference tests check the numbers, on a MobileNetV2 written with SAME pads).
TEST(PrepareGraph, SamePaddedNodesRunOnXnnpack) {
  for (const char* op : {"Conv", "AveragePool", "MaxPool"}) {
    SCOPED_TRACE(op);
    LoadedModel loaded = LoadModel(WindowModel({.op = op}), {.backend = "xnnpack"});
    EXPECT_EQ(loaded.backend->feature_dim(), 3);
  }
}

}  // namespace
}  // namespace fruits::model
