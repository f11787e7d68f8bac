// RewritePooling (through PrepareGraph): ceil_mode as the end pads that give the same output
// size, an AveragePool that counts its pads as a Pad node before it, and what is left alone.

#include "model/pooling_rewrites.h"

#include <gtest/gtest.h>

#include "model/graph_builder.h"
#include "model/graph_preparation.h"
#include "model/model_loader.h"
#include "prepared_graphs.h"

namespace fruits::model {
namespace {

using testing::FirstNode;
using testing::InitializerValues;
using testing::IntsOf;
using testing::OpTypes;

struct Pool {
  std::string op = "MaxPool";
  int64_t size = 6;  // input height and width
  int64_t kernel = 3;
  int64_t stride = 2;
  int64_t pad = 0;
  int64_t ceil_mode = 1;
  int64_t count_include_pad = 0;
  int64_t opset = 13;
};

// One pool on a [1, 3, size, size] input, then global pooling.
OnnxModel PoolModel(const Pool& p) {
  GraphBuilder b(p.opset);
  b.Input("x", {1, 3, p.size, p.size});
  std::vector<Attribute> attributes = {{"kernel_shape", std::vector<int64_t>{p.kernel, p.kernel}},
                                       {"strides", std::vector<int64_t>{p.stride, p.stride}},
                                       {"pads", std::vector<int64_t>(4, p.pad)},
                                       {"ceil_mode", p.ceil_mode}};
  if (p.op == "AveragePool") attributes.push_back({"count_include_pad", p.count_include_pad});
  b.Node(p.op, {"x"}, "y", attributes);
  b.Node("GlobalAveragePool", {"y"}, "pooled");
  b.Output("pooled", {1, 3, 1, 1});
  return OnnxModel::Parse(b.Serialize(), "pool.onnx");
}

OnnxModel Prepared(const Pool& p, std::vector<std::string>* rewrites = nullptr) {
  OnnxModel model = PoolModel(p);
  std::vector<std::string> lines = PrepareGraph(model);
  if (rewrites != nullptr) *rewrites = lines;
  return model;
}

TEST(PoolingRewrites, CeilModeBecomesTheEndPadsOfTheSameOutputSize) {
  // 6, kernel 3, stride 2: ceil((6 - 3) / 2) + 1 = 3 outputs; (3 - 1) * 2 + 3 - 6 = 1 end pad.
  for (const char* op : {"MaxPool", "AveragePool"}) {
    SCOPED_TRACE(op);
    std::vector<std::string> rewrites;
    OnnxModel model = Prepared({.op = op}, &rewrites);
    const onnx::NodeProto& pool = FirstNode(model, op);
    EXPECT_EQ(graph::Int(pool, "ceil_mode", 0), 0);
    EXPECT_EQ(IntsOf(pool, "pads"), (std::vector<int64_t>{0, 0, 1, 1}));
    EXPECT_EQ(model.TensorShape("y"), (std::vector<int64_t>{1, 3, 3, 3}));
    EXPECT_EQ(rewrites, std::vector<std::string>{"1 ceil_mode pools given end pads instead"});
  }
  // GoogLeNet's 112 -> 56 (kernel 3, stride 2, no pads): 56 outputs, 1 end pad; 7 with begin
  // pads 1: ceil((7 + 2 - 3) / 2) + 1 = 4, end pad (4 - 1) * 2 + 3 - 7 - 1 = 1, already there.
  OnnxModel googlenet = Prepared({.size = 112});
  EXPECT_EQ(IntsOf(FirstNode(googlenet, "MaxPool"), "pads"), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(googlenet.TensorShape("y"), (std::vector<int64_t>{1, 3, 56, 56}));
  OnnxModel padded = Prepared({.size = 7, .pad = 1});
  EXPECT_EQ(IntsOf(FirstNode(padded, "MaxPool"), "pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(padded.TensorShape("y"), (std::vector<int64_t>{1, 3, 4, 4}));
}

// 5 with pads 1, kernel 2, stride 2: ceil((5 + 2 - 2) / 2) + 1 = 4 by ONNX's formula, but the
// 4th window starts at 6 = 5 + 1, in the end padding, and torch drops it: left as it is.
TEST(PoolingRewrites, LeavesCeilModeWhereTorchAndOnnxDisagree) {
  OnnxModel model = Prepared({.size = 5, .kernel = 2, .pad = 1});
  EXPECT_EQ(graph::Int(FirstNode(model, "MaxPool"), "ceil_mode", 0), 1);
}

TEST(PoolingRewrites, AveragePoolCountingPadsGetsAPadNode) {
  // InceptionV3's avg_pool2d(3, stride 1, padding 1), count_include_pad True.
  for (int64_t opset : {13, 10}) {
    SCOPED_TRACE(opset);
    std::vector<std::string> rewrites;
    OnnxModel model = Prepared({.op = "AveragePool",
                                .kernel = 3,
                                .stride = 1,
                                .pad = 1,
                                .ceil_mode = 0,
                                .count_include_pad = 1,
                                .opset = opset},
                               &rewrites);
    EXPECT_EQ(OpTypes(model),
              (std::vector<std::string>{"Pad", "AveragePool", "GlobalAveragePool"}));
    const onnx::NodeProto& pad = FirstNode(model, "Pad");
    const std::vector<int64_t> pads = {0, 0, 1, 1, 0, 0, 1, 1};
    if (opset >= 11) {
      EXPECT_EQ(InitializerValues(model, pad.input(1)),
                std::vector<double>(pads.begin(), pads.end()));
    } else {
      EXPECT_EQ(IntsOf(pad, "pads"), pads);
    }
    const onnx::NodeProto& pool = FirstNode(model, "AveragePool");
    EXPECT_EQ(pool.input(0), pad.output(0));
    EXPECT_EQ(IntsOf(pool, "pads"), (std::vector<int64_t>{0, 0, 0, 0}));
    EXPECT_EQ(graph::Int(pool, "count_include_pad", 0), 0);
    EXPECT_EQ(model.TensorShape("y"), (std::vector<int64_t>{1, 3, 6, 6}));
    EXPECT_EQ(rewrites,
              std::vector<std::string>{"1 AveragePool nodes counting pads given a Pad node"});
  }
}

// Pads counted and ceil mode: the Pad node, then ceil mode on the padded input.
TEST(PoolingRewrites, PadsCountedAndCeilModeTogether) {
  OnnxModel model = Prepared({.op = "AveragePool", .pad = 1, .count_include_pad = 1});
  EXPECT_EQ(OpTypes(model), (std::vector<std::string>{"Pad", "AveragePool", "GlobalAveragePool"}));
  const onnx::NodeProto& pool = FirstNode(model, "AveragePool");
  // 8 padded, kernel 3, stride 2: ceil(5 / 2) + 1 = 4 outputs, 1 end pad.
  EXPECT_EQ(IntsOf(pool, "pads"), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(graph::Int(pool, "ceil_mode", 0), 0);
  EXPECT_EQ(model.TensorShape("y"), (std::vector<int64_t>{1, 3, 4, 4}));
}

TEST(PoolingRewrites, LeavesPoolsThatNeedNoRewrite) {
  std::vector<std::string> rewrites;
  OnnxModel floor = Prepared({.ceil_mode = 0}, &rewrites);
  EXPECT_TRUE(rewrites.empty());
  OnnxModel unpadded =
      Prepared({.op = "AveragePool", .ceil_mode = 0, .count_include_pad = 1}, &rewrites);
  EXPECT_TRUE(rewrites.empty());
  EXPECT_EQ(OpTypes(unpadded), (std::vector<std::string>{"AveragePool", "GlobalAveragePool"}));
}

TEST(PoolingRewrites, RewrittenPoolsRunOnXnnpack) {
  for (const Pool& pool : {Pool{.op = "MaxPool"}, Pool{.op = "AveragePool"}}) {
    SCOPED_TRACE(pool.op);
    LoadedModel loaded = LoadModel(PoolModel(pool), {.backend = "xnnpack"});
    EXPECT_EQ(loaded.backend->feature_dim(), 3);
  }
}

}  // namespace
}  // namespace fruits::model
