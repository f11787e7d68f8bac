// ConstantsToInitializers and BypassCopiesOfInitializers (through PrepareGraph): Constant nodes
// of each form become initializers of the same values, copies of an initializer are read
// through, and a graph output keeps its node.

#include "model/initializer_rewrites.h"

#include <gtest/gtest.h>

#include "model/graph_builder.h"
#include "model/graph_edit.h"
#include "model/graph_preparation.h"
#include "model/model_loader.h"
#include "prepared_graphs.h"

namespace fruits::model {
namespace {

using testing::FirstNode;
using testing::InitializerValues;
using testing::OpTypes;

onnx::AttributeProto& AddAttribute(GraphBuilder& b, const std::string& name) {
  onnx::GraphProto& graph = *b.mutable_proto().mutable_graph();
  onnx::AttributeProto& attribute = *graph.mutable_node(graph.node_size() - 1)->add_attribute();
  attribute.set_name(name);
  return attribute;
}

// x [1, 3, 4, 4] * scale (value_float) + shift (value tensor), a 1x1 Conv whose weights come
// through an Identity and a Dropout of the same initializer, as torch writes them.
std::string ConstantsNet() {
  GraphBuilder b(13);
  b.Input("x", {1, 3, 4, 4});
  b.Node("Constant", {}, "scale");
  onnx::AttributeProto& scale = AddAttribute(b, "value_float");
  scale.set_type(onnx::AttributeProto::FLOAT);
  scale.set_f(0.5f);
  b.Node("Constant", {}, "shift");
  onnx::AttributeProto& shift = AddAttribute(b, "value");
  shift.set_type(onnx::AttributeProto::TENSOR);
  shift.mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t dim : {1, 3, 1, 1}) shift.mutable_t()->add_dims(dim);
  for (float v : {1.0f, 2.0f, 3.0f}) shift.mutable_t()->add_float_data(v);
  b.Node("Mul", {"x", "scale"}, "scaled");
  b.Node("Add", {"scaled", "shift"}, "shifted");
  b.Initializer("w", {3, 3, 1, 1}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  b.Node("Identity", {"w"}, "w_copy");
  b.Node("Dropout", {"w"}, "w_dropped");
  b.Node("Conv", {"shifted", "w_copy"}, "c1");
  b.Node("Conv", {"c1", "w_dropped"}, "c2");
  b.Node("GlobalAveragePool", {"c2"}, "pooled");
  b.Output("pooled", {1, 3, 1, 1});
  return b.Serialize();
}

TEST(InitializerRewrites, ConstantsAndCopiesBecomeTheInitializersTheyHold) {
  OnnxModel model = OnnxModel::Parse(ConstantsNet(), "constants.onnx");
  EXPECT_EQ(PrepareGraph(model),
            (std::vector<std::string>{"2 Constant nodes made initializers",
                                      "2 Identity/Dropout nodes of initializers bypassed"}));
  EXPECT_EQ(OpTypes(model),
            (std::vector<std::string>{"Mul", "Add", "Conv", "Conv", "GlobalAveragePool"}));
  EXPECT_EQ(InitializerValues(model, "scale"), std::vector<double>{0.5});
  EXPECT_EQ(InitializerValues(model, "shift"), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(model.TensorShape("shift"), (std::vector<int64_t>{1, 3, 1, 1}));
  EXPECT_EQ(model.TensorShape("scale"), std::vector<int64_t>{});
  const auto& nodes = model.proto().graph().node();
  EXPECT_EQ(nodes[2].input(1), "w");
  EXPECT_EQ(nodes[3].input(1), "w");
}

TEST(InitializerRewrites, ConstantListsAndIntegersKeepTheirValues) {
  GraphBuilder b(13);
  b.Input("x", {1, 3, 2, 2});
  b.Node("Constant", {}, "floats");
  onnx::AttributeProto& floats = AddAttribute(b, "value_floats");
  floats.set_type(onnx::AttributeProto::FLOATS);
  for (float v : {0.25f, 0.5f, 0.75f}) floats.add_floats(v);
  b.Node("Constant", {}, "shape");
  onnx::AttributeProto& ints = AddAttribute(b, "value_ints");
  ints.set_type(onnx::AttributeProto::INTS);
  for (int64_t v : {1, 3, 1, 1}) ints.add_ints(v);
  b.Node("Reshape", {"floats", "shape"}, "bias");
  b.Node("Add", {"x", "bias"}, "y");
  b.Node("GlobalAveragePool", {"y"}, "pooled");
  b.Output("pooled", {1, 3, 1, 1});
  OnnxModel model = OnnxModel::Parse(b.Serialize(), "lists.onnx");
  PrepareGraph(model);
  EXPECT_EQ(InitializerValues(model, "floats"), (std::vector<double>{0.25, 0.5, 0.75}));
  EXPECT_EQ(OpTypes(model), (std::vector<std::string>{"Reshape", "Add", "GlobalAveragePool"}));
  EXPECT_EQ(InitializerValues(model, "shape"), (std::vector<double>{1, 3, 1, 1}));
}

// Before IR version 4 every initializer is also a graph input: the new ones are listed too, and
// the prepared graph passes the ONNX checker.
TEST(InitializerRewrites, OldIrVersionsListTheNewInitializersAsInputs) {
  onnx::ModelProto proto;
  proto.ParseFromString(ConstantsNet());
  proto.set_ir_version(3);
  for (const auto& tensor : proto.graph().initializer()) {
    graph::DescribeTensor(*proto.mutable_graph()->add_input(), tensor.name(), tensor.data_type(),
                          {tensor.dims().begin(), tensor.dims().end()});
  }
  OnnxModel model = OnnxModel::Parse(proto.SerializeAsString(), "ir3.onnx");
  PrepareGraph(model);
  EXPECT_NO_THROW(OnnxModel::Parse(model.Serialize(), "prepared.onnx"));
  EXPECT_EQ(model.input().name, "x");
}

// A graph output keeps its name and its producer; a Dropout whose mask is read is not a copy.
TEST(InitializerRewrites, KeepsGraphOutputsAndDropoutsWithAReadMask) {
  GraphBuilder b(13);
  b.Input("x", {1, 3, 2, 2});
  b.Initializer("w", {1, 3, 1, 1}, {1, 2, 3});
  b.Node("Dropout", {"w"}, "w_dropped");
  const std::string mask = "mask";
  b.mutable_proto().mutable_graph()->mutable_node(0)->add_output(mask);
  b.Node("Cast", {"mask"}, "mask_float", {{"to", int64_t{onnx::TensorProto::FLOAT}}});
  b.Node("Mul", {"w_dropped", "mask_float"}, "masked");
  b.Node("Mul", {"x", "masked"}, "y");
  b.Node("Identity", {"w"}, "w_out");
  b.Output("y", {1, 3, 2, 2});
  b.Output("w_out", {1, 3, 1, 1});
  OnnxModel model = OnnxModel::Parse(b.Serialize(), "kept.onnx");
  EXPECT_TRUE(PrepareGraph(model).empty());
  EXPECT_EQ(OpTypes(model),
            (std::vector<std::string>{"Dropout", "Cast", "Mul", "Mul", "Identity"}));
}

// torch's deduplicated weights kept XNNPACK from running a ResNet; the prepared graph runs.
TEST(InitializerRewrites, PreparedGraphRunsOnXnnpack) {
  LoadedModel loaded =
      LoadModel(OnnxModel::Parse(ConstantsNet(), "constants.onnx"), {.backend = "xnnpack"});
  // Channel c, pixel p: c * 16 + p, in the layout the backend takes.
  const bool nhwc = loaded.backend->input().layout == Layout::kNhwc;
  Tensor image(loaded.backend->input().BatchShape(1));
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t p = 0; p < 16; ++p) {
      image.data()[nhwc ? p * 3 + c : c * 16 + p] = static_cast<float>(c * 16 + p);
    }
  }
  const Tensor features = loaded.backend->Run(image);
  // Per channel: mean of 0.5 * x + shift over the channel's 16 values (the Convs are identity).
  for (int64_t c = 0; c < 3; ++c) {
    const double mean_x = c * 16 + 7.5;
    EXPECT_NEAR(features.data()[c], 0.5 * mean_x + (c + 1), 1e-5);
  }
}

}  // namespace
}  // namespace fruits::model
