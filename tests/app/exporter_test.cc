// fruits export on a tiny backbone: the exported file, run by AppModel, gives what the backbone's
// features through the classifier give (plain-loop features, the classifier in float64), for
// NCHW and NHWC backbones, an older opset and a whitened PCA; and what export refuses.

#include "app/exporter.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <random>

#include "app/app_metadata.h"
#include "app/app_model.h"
#include "image/preprocessor.h"
#include "model/tiny_models.h"
#include "pca/moments.h"
#include "storage/local_store.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::app {
namespace {

using model::kTinySize;

constexpr int64_t kLabels = 3;
constexpr int64_t kK = 3;

// A classifier on TinyNet's 4 features: PCA fitted on random rows, fixed softmax weights.
classify::Classifier TinyClassifier(const model::OnnxModel& backbone, bool whiten,
                                    const std::string& layout,
                                    const std::string& normalization = "mobilenet") {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.5f, 0.3f);
  pca::Moments moments(4);
  std::vector<float> rows(64 * 4);
  for (float& v : rows) v = normal(rng);
  moments.Add(rows.data(), 64);
  pca::PcaModel pca = pca::PcaModel::Fit(moments, {.k = kK, .whiten = whiten});
  std::vector<double> weights(kLabels * kK), bias(kLabels);
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = (static_cast<double>(i % 5) - 2) * 0.7;
  for (size_t i = 0; i < bias.size(); ++i) bias[i] = 0.1 * static_cast<double>(i);
  nlohmann::ordered_json description = {
      {"model",
       {{"sha256", backbone.sha256()},
        {"feature_layer", "features"},
        {"preprocessing", normalization + ", bicubic resize to 6x6, " + layout}}}};
  return classify::Classifier(std::move(pca),
                              classify::SoftmaxRegression(kLabels, kK, weights, bias),
                              {"Apple", "Banana", "Cherry"}, std::move(description));
}

// Random 8-bit pixels [n, 6, 6, 3] as floats: what AppModel::Classify takes.
model::Tensor RandomPixels(int64_t n) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255);
  model::Tensor pixels({n, kTinySize, kTinySize, 3});
  for (size_t i = 0; i < pixels.size(); ++i) pixels.data()[i] = static_cast<float>(byte(rng));
  return pixels;
}

// The expected probabilities: the normalisation as the Preprocessor's documentation states it,
// TinyNet's features by plain loops, the classifier in float64.
std::vector<double> Expected(const model::Tensor& pixels, const classify::Classifier& classifier,
                             const std::string& normalization = "mobilenet") {
  model::Tensor normalised = pixels;
  for (size_t i = 0; i < normalised.size(); ++i) {
    const size_t c = i % 3;
    if (normalization == "caffe") {  // BGR order, minus the BGR means
      normalised.data()[i] = pixels.data()[i - c + (2 - c)] - image::kCaffeMeanBgr[c];
    } else {
      normalised.data()[i] = pixels.data()[i] / 127.5f - 1.0f;
    }
  }
  const std::vector<float> features = model::TinyFeatures(normalised, true, 1e30f);
  std::vector<double> probabilities(static_cast<size_t>(pixels.dim(0) * kLabels));
  classifier.Classify(features.data(), pixels.dim(0), probabilities.data());
  return probabilities;
}

struct Case {
  bool nhwc = false;
  int64_t opset = 13;
  bool whiten = false;
  std::string normalization = "mobilenet";
};

class ExportTest : public ::testing::TestWithParam<Case> {};

TEST_P(ExportTest, TheExportedFileGivesTheClassifiersProbabilities) {
  const Case c = GetParam();
  const model::OnnxModel backbone =
      model::OnnxModel::Parse(model::TinyNet({.nhwc = c.nhwc, .opset = c.opset}), "tiny.onnx");
  const classify::Classifier classifier =
      TinyClassifier(backbone, c.whiten, c.nhwc ? "NHWC" : "NCHW", c.normalization);
  const std::string bytes = ExportAppModel(
      model::OnnxModel::Parse(model::TinyNet({.nhwc = c.nhwc, .opset = c.opset}), "tiny.onnx"),
      classifier, {.accuracy = 0.875});

  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  ASSERT_EQ(proto.opset_import_size(), 1);
  EXPECT_EQ(proto.opset_import(0).version(), 13);
  EXPECT_EQ(proto.graph().input(0).type().tensor_type().elem_type(), onnx::TensorProto::UINT8);

  testing::TempDir dir;
  storage::LocalStore store;
  store.Write(dir.File("app.onnx"), bytes);
  const AppModel app = AppModel::Load(store, dir.File("app.onnx"), {});
#ifdef FRUITS_WITH_XNNPACK
  // Keras exports included: the normalisation follows their first Transpose, as XNNPACK needs.
  EXPECT_EQ(app.backend_name(), "xnnpack");
#endif
  EXPECT_EQ(app.info().labels, classifier.labels());
  EXPECT_EQ(app.info().height, kTinySize);
  EXPECT_EQ(app.info().classifier_digest, classifier.digest());
  EXPECT_EQ(app.info().source_model_sha256, backbone.sha256());
  ASSERT_TRUE(app.info().accuracy.has_value());
  EXPECT_DOUBLE_EQ(*app.info().accuracy, 0.875);

  const model::Tensor pixels = RandomPixels(5);
  const model::Tensor got = app.Classify(pixels);
  const std::vector<double> expected = Expected(pixels, classifier, c.normalization);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(got.data()[i], expected[i], 1e-5) << i;
}

INSTANTIATE_TEST_SUITE_P(Backbones, ExportTest,
                         ::testing::Values(Case{}, Case{.nhwc = true}, Case{.opset = 11},
                                           Case{.whiten = true}, Case{.normalization = "caffe"},
                                           Case{.nhwc = true, .normalization = "caffe"}));

TEST(Export, RefusesAModelTheFeaturesDidNotComeFrom) {
  const model::OnnxModel trained_on = model::OnnxModel::Parse(model::TinyNet(), "tiny.onnx");
  const classify::Classifier classifier = TinyClassifier(trained_on, false, "NCHW");
  try {
    ExportAppModel(model::OnnxModel::Parse(model::TinyNet({.opset = 12}), "other.onnx"), classifier,
                   {});
    FAIL() << "exported with another model";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("trained on features of another model"), std::string::npos)
        << e.what();
  }
}

TEST(Export, Float32InputHasNoCastAndTheSameProbabilities) {
  const model::OnnxModel backbone = model::OnnxModel::Parse(model::TinyNet(), "tiny.onnx");
  const classify::Classifier classifier = TinyClassifier(backbone, false, "NCHW");
  const std::string bytes = ExportAppModel(model::OnnxModel::Parse(model::TinyNet(), "tiny.onnx"),
                                           classifier, {.input = InputType::kFloat32});
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  EXPECT_EQ(proto.graph().input(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  for (const auto& node : proto.graph().node()) EXPECT_NE(node.op_type(), "Cast");

  testing::TempDir dir;
  storage::LocalStore store;
  store.Write(dir.File("app.onnx"), bytes);
  const AppModel app = AppModel::Load(store, dir.File("app.onnx"), {});
  EXPECT_EQ(app.info().input_type, "float32");
  EXPECT_FALSE(app.info().accuracy.has_value());
  const model::Tensor pixels = RandomPixels(3);
  const model::Tensor got = app.Classify(pixels);
  const std::vector<double> expected = Expected(pixels, classifier);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(got.data()[i], expected[i], 1e-5) << i;
}

TEST(AppModelLoad, RefusesAModelExportDidNotWrite) {
  testing::TempDir dir;
  storage::LocalStore store;
  store.Write(dir.File("tiny.onnx"), model::TinyNet());
  try {
    AppModel::Load(store, dir.File("tiny.onnx"), {});
    FAIL() << "loaded a plain model as an app model";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("not an app model written by fruits export"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace fruits::app
