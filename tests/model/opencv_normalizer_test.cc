// Each normalisation pass rewrites its form and leaves the graph computing the same thing.

#include "model/opencv/opencv_normalizer.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "model/graph_edit.h"
#include "model/tiny_models.h"

namespace fruits::model {
namespace {

int CountOps(const onnx::ModelProto& model, const std::string& op) {
  int count = 0;
  for (const auto& node : model.graph().node()) count += node.op_type() == op;
  return count;
}

TEST(OpenCvNormalizer, RemovesIdentityAndDropout) {
  onnx::ModelProto model;
  model.ParseFromString(TinyNet({.identity_and_dropout = true}));
  auto changes = NormalizeForOpenCv(model);
  EXPECT_EQ(CountOps(model, "Identity"), 0);
  EXPECT_EQ(CountOps(model, "Dropout"), 0);
  EXPECT_EQ(changes, std::vector<std::string>{"Identity/Dropout nodes removed: 2"});
  // The pooling reads the activation directly, the Gemm reads the flattened features.
  auto producers = graph::Producers(model.graph());
  EXPECT_EQ(model.graph().node(producers.at("pool")).input(0), "act");
  EXPECT_EQ(model.graph().node(producers.at("logits")).input(0), "features");
}

TEST(OpenCvNormalizer, AnIdentityThatIsTheGraphOutputRenamesItsProducer) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("Relu", {"x"}, "r");
  b.Node("Identity", {"r"}, "out");
  b.Output("out", {-1, 3, 4, 4});
  onnx::ModelProto model;
  model.ParseFromString(b.Serialize());
  NormalizeForOpenCv(model);
  ASSERT_EQ(model.graph().node_size(), 1);
  EXPECT_EQ(model.graph().node(0).op_type(), "Relu");
  EXPECT_EQ(model.graph().node(0).output(0), "out");
  EXPECT_EQ(model.graph().output(0).name(), "out");
}

TEST(OpenCvNormalizer, AnIdentityOfTheGraphInputStays) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("Identity", {"x"}, "out");
  b.Output("out", {-1, 3, 4, 4});
  onnx::ModelProto model;
  model.ParseFromString(b.Serialize());
  NormalizeForOpenCv(model);
  EXPECT_EQ(CountOps(model, "Identity"), 1);
}

TEST(OpenCvNormalizer, FoldsConstantNodesIntoInitializers) {
  onnx::ModelProto model;
  model.ParseFromString(TinyNet({.constant_node = true}));
  auto changes = NormalizeForOpenCv(model);
  EXPECT_EQ(CountOps(model, "Constant"), 0);
  const onnx::TensorProto* bias = graph::FindInitializer(model.graph(), "gemm.bias");
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(graph::TensorValues(*bias), (std::vector<double>{0.5, -0.5}));
  EXPECT_EQ(changes, std::vector<std::string>{"Constant nodes folded into initializers: 1"});
}

TEST(OpenCvNormalizer, TurnsClipBoundInputsIntoAttributes) {
  onnx::ModelProto model;
  model.ParseFromString(TinyNet({.clip_with_inputs = true}));
  NormalizeForOpenCv(model);
  const onnx::NodeProto& clip = model.graph().node(graph::Producers(model.graph()).at("act"));
  EXPECT_EQ(clip.input_size(), 1);
  ASSERT_NE(graph::FindAttribute(clip, "min"), nullptr);
  EXPECT_EQ(graph::FindAttribute(clip, "min")->f(), 0.0f);
  EXPECT_EQ(graph::FindAttribute(clip, "max")->f(), 0.75f);
  // The bounds' initializers are read by nothing now, and dropped.
  EXPECT_EQ(graph::FindInitializer(model.graph(), "clip.max"), nullptr);
}

TEST(OpenCvNormalizer, LeavesAClipWithComputedBoundsAlone) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("ReduceMax", {"x"}, "m", {{"keepdims", int64_t{0}}});
  b.Node("Clip", {"x", "", "m"}, "out");
  b.Output("out", {-1, 3, 4, 4});
  onnx::ModelProto model;
  model.ParseFromString(b.Serialize());
  NormalizeForOpenCv(model);
  EXPECT_EQ(model.graph().node(1).input_size(), 3);
}

TEST(OpenCvNormalizer, AGraphInNoNeedIsUnchanged) {
  onnx::ModelProto model;
  model.ParseFromString(TinyNet());
  std::string before = model.SerializeAsString();
  EXPECT_TRUE(NormalizeForOpenCv(model).empty());
  EXPECT_EQ(model.SerializeAsString(), before);
}

}  // namespace
}  // namespace fruits::model
