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

// MobileNetV3's head at opset 13: Gemm, HardSwish written as x * HardSigmoid(x), Gemm.
TEST(FeatureLayer, AutomaticLooksPastAGatedActivationBetweenDenseLayers) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("GlobalAveragePool", {"x"}, "pool");
  b.Node("Flatten", {"pool"}, "embedding");
  b.Node("Gemm",
         {"embedding", b.Initializer("w1", {6, 3}, std::vector<float>(18, 0.1f)),
          b.Initializer("b1", {6}, std::vector<float>(6, 0))},
         "hidden", {{"transB", int64_t{1}}});
  b.Node("HardSigmoid", {"hidden"}, "gate", {{"alpha", 1.0f / 6}});
  b.Node("Mul", {"hidden", "gate"}, "swished");
  b.Node("Gemm",
         {"swished", b.Initializer("w2", {5, 6}, std::vector<float>(30, 0.1f)),
          b.Initializer("b2", {5}, std::vector<float>(5, 0))},
         "logits", {{"transB", int64_t{1}}});
  b.Output("logits", {-1, 5});
  OnnxModel model = OnnxModel::Parse(b.Serialize(), "v3.onnx");
  FeatureLayer layer = ChooseFeatureLayer(model, "");
  EXPECT_EQ(layer.tensor, "embedding");
  EXPECT_EQ(layer.reason,
            "input of the classifier head of 2 dense layers (Gemm 'hidden', Gemm 'logits'): the "
            "backbone's embedding");
  const std::vector<FeatureLayer> candidates = CandidateFeatureLayers(model);
  ASSERT_EQ(candidates.size(), 2u);
  EXPECT_EQ(candidates[1].tensor, "swished");
}

// A TF graph-model export: the preprocessing inside, and a Reshape after the Softmax.
TEST(FeatureLayer, AutomaticLooksPastAReshapeAfterTheSoftmax) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("Mul", {"x", b.Initializer("scale", {1}, {2.0f})}, "scaled");
  b.Node("GlobalAveragePool", {"scaled"}, "pool");
  b.Node("Flatten", {"pool"}, "pooled");
  b.Node("MatMul", {"pooled", b.Initializer("w", {3, 5}, std::vector<float>(15, 0.1f))}, "scores");
  b.Node("Add", {"scores", b.Initializer("b", {5}, std::vector<float>(5, 0))}, "biased");
  b.Node("Softmax", {"biased"}, "probabilities");
  b.Node("Reshape", {"probabilities", b.Int64Initializer("shape", {2}, {-1, 5})}, "out");
  b.Output("out", {-1, 5});
  FeatureLayer layer = ChooseFeatureLayer(OnnxModel::Parse(b.Serialize(), "tf.onnx"), "");
  EXPECT_EQ(layer.tensor, "pooled");
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

// The usual Keras transfer-learning recipe: a pooled backbone, then Dense(8) + Dense(6) + Dense(5)
// + Softmax, with ReLU and Dropout between. The features are the pooled embedding, not the last
// hidden layer; the hidden layers are candidates.
std::string TransferNet(bool keras_matmul, bool constant_weights) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("GlobalAveragePool", {"x"}, "pool");
  b.Node("Flatten", {"pool"}, "embedding");
  std::string tensor = "embedding";
  const std::vector<int64_t> widths = {3, 8, 6, 5};
  for (size_t i = 1; i < widths.size(); ++i) {
    const std::string n = std::to_string(i);
    const std::vector<float> weights(widths[i - 1] * widths[i], 0.1f);
    const std::vector<float> bias(widths[i], 0.01f);
    if (keras_matmul) {
      const std::string w = constant_weights
                                ? ConstantNode(b, "w" + n, {widths[i - 1], widths[i]}, weights)
                                : b.Initializer("w" + n, {widths[i - 1], widths[i]}, weights);
      b.Node("MatMul", {tensor, w}, "dense" + n);
      b.Node("Add", {"dense" + n, b.Initializer("b" + n, {widths[i]}, bias)}, "biased" + n);
      tensor = "biased" + n;
    } else {
      b.Node("Gemm",
             {tensor, b.Initializer("w" + n, {widths[i], widths[i - 1]}, weights),
              b.Initializer("b" + n, {widths[i]}, bias)},
             "dense" + n, {{"transB", int64_t{1}}});
      tensor = "dense" + n;
    }
    if (i + 1 < widths.size()) {
      b.Node("Relu", {tensor}, "relu" + n);
      b.Node("Dropout", {"relu" + n}, "drop" + n);
      tensor = "drop" + n;
    }
  }
  b.Node("Softmax", {tensor}, "probabilities");
  b.Output("probabilities", {-1, 5});
  return b.Serialize();
}

TEST(FeatureLayer, AutomaticIsTheEmbeddingBeforeADenseHeadOfSeveralLayers) {
  for (bool keras : {false, true}) {
    for (bool constant_weights : {false, true}) {
      if (constant_weights && !keras) continue;
      SCOPED_TRACE(std::string(keras ? "MatMul + Add" : "Gemm") +
                   (constant_weights ? ", Constant-node weights" : ""));
      OnnxModel model = OnnxModel::Parse(TransferNet(keras, constant_weights), "transfer.onnx");
      FeatureLayer layer = ChooseFeatureLayer(model, "");
      EXPECT_EQ(layer.tensor, "embedding");
      EXPECT_EQ(layer.dimension, 3);
      const std::string op = keras ? "MatMul" : "Gemm";
      EXPECT_EQ(layer.reason, "input of the classifier head of 3 dense layers (" + op +
                                  " 'dense1', " + op + " 'dense2', " + op +
                                  " 'dense3'): the backbone's embedding");
      const std::vector<FeatureLayer> candidates = CandidateFeatureLayers(model);
      ASSERT_EQ(candidates.size(), 3u);
      EXPECT_EQ(candidates[0].tensor, "embedding");
      EXPECT_EQ(candidates[1].tensor, "drop1");
      EXPECT_EQ(candidates[1].dimension, 8);
      EXPECT_EQ(candidates[1].reason, "hidden layer: input of " + op + " 'dense2'");
      EXPECT_EQ(candidates[2].tensor, "drop2");
      EXPECT_EQ(candidates[2].dimension, 6);
      CutAtFeatureLayer(model, layer);
      EXPECT_EQ(model.OperatorTypes(), (std::vector<std::string>{"Flatten", "GlobalAveragePool"}));
    }
  }
}

// An activation right after pooling is the backbone's: the features are the Gemm's input.
TEST(FeatureLayer, AnActivationBeforeTheOnlyDenseLayerStaysInTheBackbone) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("GlobalAveragePool", {"x"}, "pool");
  b.Node("Flatten", {"pool"}, "flat");
  b.Node("Relu", {"flat"}, "activated");
  b.Node("Gemm",
         {"activated", b.Initializer("w", {5, 3}, std::vector<float>(15, 0.1f)),
          b.Initializer("b", {5}, std::vector<float>(5, 0))},
         "logits", {{"transB", int64_t{1}}});
  b.Output("logits", {-1, 5});
  OnnxModel model = OnnxModel::Parse(b.Serialize(), "one.onnx");
  FeatureLayer layer = ChooseFeatureLayer(model, "");
  EXPECT_EQ(layer.tensor, "activated");
  EXPECT_EQ(layer.reason, "input of the final classifier Gemm 'logits'");
  EXPECT_EQ(CandidateFeatureLayers(model).size(), 1u);
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
