// Choosing the feature layer and cutting the graph there.

#include "model/feature_layer.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "model/tiny_models.h"
#include "util/error.h"

namespace fruits::model {
namespace {

TEST(FeatureLayer, AutomaticIsTheInputOfTheFinalGemmPastSoftmax) {
  OnnxModel model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  FeatureLayer layer = ChooseFeatureLayer(model, "");
  EXPECT_EQ(layer.tensor, "features");
  EXPECT_EQ(layer.dimension, 4);
  EXPECT_EQ(layer.reason, "input of the final classifier Gemm 'logits'");
}

TEST(FeatureLayer, AutomaticFindsAKerasMatMulWithBiasAdd) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("ReduceMean", {"x"}, "pooled",
         {{"axes", std::vector<int64_t>{2, 3}}, {"keepdims", int64_t{0}}});
  b.Initializer("w", {3, 5}, std::vector<float>(15, 0.1f));
  b.Initializer("b", {5}, std::vector<float>(5, 0));
  b.Node("MatMul", {"pooled", "w"}, "scores");
  b.Node("Add", {"scores", "b"}, "biased");
  b.Node("Softmax", {"biased"}, "out");
  b.Output("out", {-1, 5});
  FeatureLayer layer = ChooseFeatureLayer(OnnxModel::Parse(b.Serialize(), "keras.onnx"), "");
  EXPECT_EQ(layer.tensor, "pooled");
  EXPECT_EQ(layer.dimension, 3);
  EXPECT_EQ(layer.reason, "input of the final classifier MatMul 'scores'");
}

TEST(FeatureLayer, AModelWithoutClassifierGivesItsOutput) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("GlobalAveragePool", {"x"}, "pooled");
  b.Node("Flatten", {"pooled"}, "embedding");
  b.Output("embedding", {-1, 3});
  FeatureLayer layer = ChooseFeatureLayer(OnnxModel::Parse(b.Serialize(), "cut.onnx"), "");
  EXPECT_EQ(layer.tensor, "embedding");
  EXPECT_NE(layer.reason.find("without a Gemm or MatMul classifier"), std::string::npos);
}

TEST(FeatureLayer, ARequestedLayerThatDoesNotExistListsTheLastTensors) {
  OnnxModel model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  try {
    ChooseFeatureLayer(model, "fc7");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("--feature-layer 'fc7' is not a tensor of model 'tiny.onnx'"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("'pool' (GlobalAveragePool)"), std::string::npos) << message;
  }
}

TEST(FeatureLayer, CutMakesTheLayerTheOnlyOutputAndDropsTheClassifier) {
  OnnxModel model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  CutAtFeatureLayer(model, ChooseFeatureLayer(model, ""));
  EXPECT_EQ(model.OutputNames(), std::vector<std::string>{"features"});
  EXPECT_EQ(model.OperatorTypes(),
            (std::vector<std::string>{"Conv", "Flatten", "GlobalAveragePool", "Relu"}));
  for (const auto& initializer : model.proto().graph().initializer()) {
    EXPECT_EQ(initializer.name().rfind("gemm", 0), std::string::npos) << initializer.name();
  }
}

TEST(FeatureLayer, APooledMapIsFlattenedToOneVectorPerImage) {
  OnnxModel model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  FeatureLayer layer = ChooseFeatureLayer(model, "pool");
  EXPECT_EQ(layer.dimension, 4);
  CutAtFeatureLayer(model, layer);
  ASSERT_EQ(model.OutputNames().size(), 1u);
  EXPECT_EQ(model.TensorShape(model.OutputNames()[0]), (std::vector<int64_t>{-1, 4}));
}

TEST(FeatureLayer, AFeatureMapIsRefused) {
  OnnxModel model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  FeatureLayer layer = ChooseFeatureLayer(model, "conv");
  try {
    CutAtFeatureLayer(model, layer);
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("'conv' of model 'tiny.onnx' has shape [?, 4, 6, 6]"), std::string::npos)
        << message;
    EXPECT_NE(message.find("not one vector per image"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace fruits::model
