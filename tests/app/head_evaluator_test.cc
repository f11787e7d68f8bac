#include "app/head_evaluator.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>

#include "model/graph_builder.h"
#include "util/error.h"

namespace fruits::app {
namespace {

using model::GraphBuilder;

// features [N, 3] -> Sub(mean) -> MatMul(3x2) -> Mul(scale) -> Gemm(transB, 4 labels) -> Softmax.
const std::vector<float> kMean = {1, -2, 0.5f};
const std::vector<float> kProjection = {0.5f, -1, 2, 0.25f, -0.75f, 1.5f};  // 3 x 2
const std::vector<float> kScale = {2, 0.5f};
const std::vector<float> kWeights = {1, 0, -1, 2, 0.5f, 0.5f, -2, 1};  // 4 x 2
const std::vector<float> kBias = {0.1f, -0.2f, 0.3f, 0};

onnx::GraphProto Head() {
  GraphBuilder b(13);
  b.Input("features", {-1, 3});
  b.Node("Sub", {"features", b.Initializer("mean", {3}, kMean)}, "centred");
  b.Node("MatMul", {"centred", b.Initializer("projection", {3, 2}, kProjection)}, "pca");
  b.Node("Mul", {"pca", b.Initializer("scale", {2}, kScale)}, "whitened");
  b.Node(
      "Gemm",
      {"whitened", b.Initializer("weights", {4, 2}, kWeights), b.Initializer("bias", {4}, kBias)},
      "logits", {{"transB", int64_t{1}}});
  b.Node("Softmax", {"logits"}, "probabilities", {{"axis", int64_t{1}}});
  b.Output("probabilities", {-1, 4});
  return b.proto().graph();
}

// The same arithmetic in double, written out.
std::vector<double> Reference(const std::vector<float>& x) {
  double pca[2] = {0, 0};
  for (int j = 0; j < 2; ++j) {
    for (int i = 0; i < 3; ++i) pca[j] += (x[i] - kMean[i]) * kProjection[i * 2 + j];
    pca[j] *= kScale[j];
  }
  std::vector<double> logits(4);
  double max = -1e300, sum = 0;
  for (int c = 0; c < 4; ++c) {
    logits[c] = kBias[c] + pca[0] * kWeights[c * 2] + pca[1] * kWeights[c * 2 + 1];
    max = std::max(max, logits[c]);
  }
  for (double& l : logits) sum += l = std::exp(l - max);
  for (double& l : logits) l /= sum;
  return logits;
}

TEST(HeadEvaluator, ComputesTheChainAsWritten) {
  const onnx::GraphProto graph = Head();
  const HeadEvaluator head(graph, "features", "probabilities");
  EXPECT_EQ(head.input_dim(), 3);
  EXPECT_EQ(head.output_dim(), 4);
  model::Tensor in({2, 3});
  const std::vector<std::vector<float>> rows = {{0.5f, 1, -1}, {3, -2, 2}};
  for (int r = 0; r < 2; ++r) std::copy(rows[r].begin(), rows[r].end(), in.row(r));
  const model::Tensor out = head.Run(in);
  ASSERT_EQ(out.shape(), (std::vector<int64_t>{2, 4}));
  for (int r = 0; r < 2; ++r) {
    const std::vector<double> expected = Reference(rows[r]);
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(out.row(r)[c], expected[c], 1e-6) << r << "," << c;
  }
}

TEST(HeadEvaluator, RefusesAnOperatorExportDoesNotWrite) {
  GraphBuilder b(13);
  b.Input("features", {-1, 3});
  b.Node("Relu", {"features"}, "relu");
  b.Node("Softmax", {"relu"}, "probabilities");
  try {
    HeadEvaluator(b.proto().graph(), "features", "probabilities");
    FAIL() << "a Relu in the head was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("node 'relu' (Relu)"), std::string::npos) << e.what();
  }
}

TEST(HeadEvaluator, RefusesAComputedSecondOperand) {
  GraphBuilder b(13);
  b.Input("features", {-1, 3});
  b.Node("Mul", {"features", "features"}, "squared");
  b.Node("Softmax", {"squared"}, "probabilities");
  EXPECT_THROW(HeadEvaluator(b.proto().graph(), "features", "probabilities"), UsageError);
}

TEST(HeadEvaluator, RefusesWeightsOfTheWrongWidth) {
  GraphBuilder b(13);
  b.Input("features", {-1, 3});
  b.Node("Sub", {"features", b.Initializer("mean", {3}, kMean)}, "centred");
  b.Node("MatMul", {"centred", b.Initializer("projection", {2, 3}, kProjection)}, "pca");
  b.Node("Softmax", {"pca"}, "probabilities");
  EXPECT_THROW(HeadEvaluator(b.proto().graph(), "features", "probabilities"), UsageError);
}

}  // namespace
}  // namespace fruits::app
