// FoldShapeArithmetic (through PrepareGraph): torch's shape arithmetic before a Reshape becomes
// an initializer, the batch as Reshape's 0; a value the batch enters otherwise, or whose shapes
// are not known, is left to its nodes.

#include "model/shape_folding.h"

#include <gtest/gtest.h>

#include "model/graph_builder.h"
#include "model/graph_preparation.h"
#include "model/model_loader.h"
#include "prepared_graphs.h"

namespace fruits::model {
namespace {

using testing::FirstNode;
using testing::InitializerValues;
using testing::OpTypes;

// x [batch, 3, 4, 4] -> Conv to 4 channels -> y; Dim(i) reads y's shape as torch's x.size(i).
struct ShapeGraph {
  explicit ShapeGraph(int64_t batch, int64_t opset = 13) : b(opset) {
    b.Input("x", {batch, 3, 4, 4});
    b.Initializer("w", {4, 3, 1, 1}, std::vector<float>(12, 0.25f));
    b.Node("Conv", {"x", "w"}, "y", {{"kernel_shape", std::vector<int64_t>{1, 1}}});
    b.Int64Initializer("axis0", {1}, {0});
    b.Int64Initializer("minus_one", {1}, {-1});
    b.Int64Initializer("two", {}, {2});
  }
  // Dimension `i` of y as a 1-element vector: Gather (a scalar) then Unsqueeze.
  std::string Dim(int64_t i) {
    if (!has_shape) b.Node("Shape", {"y"}, "shape");
    has_shape = true;
    const std::string index = b.Int64Initializer("index" + std::to_string(i), {}, {i});
    const std::string scalar = b.Node("Gather", {"shape", index}, "dim" + std::to_string(i));
    return b.Node("Unsqueeze", {scalar, "axis0"}, scalar + "_vector");
  }
  OnnxModel Prepared(const std::string& output, const std::vector<int64_t>& dims,
                     std::vector<std::string>* rewrites = nullptr) {
    b.Output(output, dims);
    OnnxModel model = OnnxModel::Parse(b.Serialize(), "shapes.onnx");
    std::vector<std::string> lines = PrepareGraph(model);
    if (rewrites != nullptr) *rewrites = lines;
    return model;
  }
  GraphBuilder b;
  bool has_shape = false;
};

std::vector<double> ReshapeTarget(const OnnxModel& model, int which = 0) {
  int seen = 0;
  for (const auto& node : model.proto().graph().node()) {
    if (node.op_type() == "Reshape" && seen++ == which) {
      return InitializerValues(model, node.input(1));
    }
  }
  ADD_FAILURE() << "no Reshape " << which;
  return {};
}

// torchvision's x.view(x.size(0), -1): the batch, however the model states it, becomes 0.
TEST(ShapeFolding, ViewOfTheBatchBecomesAReshapeThatCopiesIt) {
  for (int64_t batch : {-1, 1}) {
    SCOPED_TRACE(batch);
    ShapeGraph g(batch);
    g.b.Node("Concat", {g.Dim(0), "minus_one"}, "target", {{"axis", int64_t{0}}});
    g.b.Node("Reshape", {"y", "target"}, "flat");
    std::vector<std::string> rewrites;
    OnnxModel model = g.Prepared("flat", {batch, 64}, &rewrites);
    EXPECT_EQ(OpTypes(model), (std::vector<std::string>{"Conv", "Reshape"}));
    EXPECT_EQ(ReshapeTarget(model), (std::vector<double>{0, -1}));
    EXPECT_EQ(rewrites,
              std::vector<std::string>{"4 shape arithmetic nodes folded into initializers"});
  }
}

// ShuffleNetV2's channel shuffle: view(b, 2, c / 2, h, w) -> transpose -> view(b, -1, h, w).
TEST(ShapeFolding, ChannelShuffleReshapesBecomeConstantsWithTheBatchCopied) {
  ShapeGraph g(-1);
  const std::string b = g.Dim(0), h = g.Dim(2), w = g.Dim(3);
  g.Dim(1);
  g.b.Node("Div", {"dim1", "two"}, "half");
  g.b.Node("Unsqueeze", {"half", "axis0"}, "half_vector");
  g.b.Int64Initializer("groups", {1}, {2});
  g.b.Node("Concat", {b, "groups", "half_vector", h, w}, "split", {{"axis", int64_t{0}}});
  g.b.Node("Reshape", {"y", "split"}, "grouped");
  g.b.Node("Transpose", {"grouped"}, "swapped", {{"perm", std::vector<int64_t>{0, 2, 1, 3, 4}}});
  g.b.Node("Concat", {b, "minus_one", h, w}, "merge", {{"axis", int64_t{0}}});
  g.b.Node("Reshape", {"swapped", "merge"}, "shuffled");
  g.b.Node("GlobalAveragePool", {"shuffled"}, "pooled");
  OnnxModel model = g.Prepared("pooled", {-1, 4, 1, 1});
  EXPECT_EQ(OpTypes(model), (std::vector<std::string>{"Conv", "Reshape", "Transpose", "Reshape",
                                                      "GlobalAveragePool"}));
  EXPECT_EQ(ReshapeTarget(model, 0), (std::vector<double>{0, 2, 2, 4, 4}));
  EXPECT_EQ(ReshapeTarget(model, 1), (std::vector<double>{0, -1, 4, 4}));
}

// MobileNetV3 at opset 9: Shape -> Slice (attributes) -> Concat with a Constant -> Reshape.
TEST(ShapeFolding, Opset9SliceOfTheShapeWithConstantNodesFolds) {
  ShapeGraph g(-1, 9);
  g.b.Node("Shape", {"y"}, "shape");
  g.b.Node("Slice", {"shape"}, "batch",
           {{"starts", std::vector<int64_t>{0}},
            {"ends", std::vector<int64_t>{1}},
            {"axes", std::vector<int64_t>{0}}});
  g.b.Node("Constant", {}, "rest");
  onnx::NodeProto& constant =
      *g.b.mutable_proto().mutable_graph()->mutable_node(g.b.proto().graph().node_size() - 1);
  onnx::AttributeProto& value = *constant.add_attribute();
  value.set_name("value");
  value.set_type(onnx::AttributeProto::TENSOR);
  value.mutable_t()->set_data_type(onnx::TensorProto::INT64);
  value.mutable_t()->add_dims(1);
  value.mutable_t()->add_int64_data(-1);
  g.b.Node("Concat", {"batch", "rest"}, "target", {{"axis", int64_t{0}}});
  g.b.Node("Reshape", {"y", "target"}, "flat");
  OnnxModel model = g.Prepared("flat", {-1, 64});
  EXPECT_EQ(OpTypes(model), (std::vector<std::string>{"Conv", "Reshape"}));
  EXPECT_EQ(ReshapeTarget(model), (std::vector<double>{0, -1}));
}

// The batch times 2, or the batch in a later place: no constant says that, so the nodes stay.
TEST(ShapeFolding, LeavesTheNodesWhereTheBatchEntersOtherwise) {
  for (bool doubled : {true, false}) {
    SCOPED_TRACE(doubled);
    ShapeGraph g(-1);
    const std::string b = g.Dim(0);
    if (doubled) {
      g.b.Int64Initializer("twos", {1}, {2});
      g.b.Node("Mul", {b, "twos"}, "b2");
      g.b.Node("Concat", {"b2", "minus_one"}, "target", {{"axis", int64_t{0}}});
    } else {
      g.b.Node("Concat", {"minus_one", b}, "target", {{"axis", int64_t{0}}});
    }
    g.b.Node("Reshape", {"y", "target"}, "flat");
    OnnxModel model = g.Prepared("flat", {-1, -1});
    EXPECT_EQ(OpTypes(model).front(), "Conv");
    EXPECT_NE(OpTypes(model)[1], "Reshape") << "the shape chain stays before the Reshape";
    EXPECT_EQ(OpTypes(model).back(), "Reshape");
    EXPECT_EQ(graph::FindInitializer(model.proto().graph(), FirstNode(model, "Reshape").input(1)),
              nullptr);
  }
}

// A shape that depends on the data (NonZero's count) is not known: nothing folds.
TEST(ShapeFolding, LeavesShapesThatDependOnTheData) {
  ShapeGraph g(1);
  g.b.Node("NonZero", {"y"}, "where");
  g.b.Node("Shape", {"where"}, "where_shape");
  g.b.Int64Initializer("one", {1}, {1});
  g.b.Node("Gather", {"where_shape", "one"}, "count");
  g.b.Node("Concat", {"minus_one", "count"}, "target", {{"axis", int64_t{0}}});
  g.b.Node("Reshape", {"y", "target"}, "flat");
  std::vector<std::string> rewrites;
  OnnxModel model = g.Prepared("flat", {-1, -1}, &rewrites);
  EXPECT_EQ(OpTypes(model),
            (std::vector<std::string>{"Conv", "NonZero", "Shape", "Gather", "Concat", "Reshape"}));
  EXPECT_TRUE(rewrites.empty()) << rewrites.front();
}

// The folded view keeps the batch open: 3 images give 3 rows, each the row of its image alone.
TEST(ShapeFolding, FoldedViewRunsAnyBatch) {
  ShapeGraph g(-1);
  g.b.Node("Concat", {g.Dim(0), "minus_one"}, "target", {{"axis", int64_t{0}}});
  g.b.Node("Reshape", {"y", "target"}, "flat");
  g.b.Output("flat", {-1, 64});
  LoadedModel loaded =
      LoadModel(OnnxModel::Parse(g.b.Serialize(), "view.onnx"), {.backend = "opencv"});
  Tensor images({3, 3, 4, 4});
  for (size_t i = 0; i < images.size(); ++i) images.data()[i] = static_cast<float>(i % 7);
  const Tensor features = loaded.backend->Run(images);
  ASSERT_EQ(features.shape(), (std::vector<int64_t>{3, 64}));
  for (int64_t image = 0; image < 3; ++image) {
    Tensor one({1, 3, 4, 4});
    std::copy(images.data() + image * 48, images.data() + (image + 1) * 48, one.data());
    const Tensor alone = loaded.backend->Run(one);
    EXPECT_EQ(std::vector<float>(alone.data(), alone.data() + 64),
              std::vector<float>(features.row(image), features.row(image) + 64));
  }
}

}  // namespace
}  // namespace fruits::model
