// Our features against torchvision's, for the same weights and the same input tensors.
//
// tests/references/torch_models.py (run by the CTest fixture "torch_fixtures") exports seeded
// torchvision models as ONNX, at opsets 10 to 17, NCHW and NHWC (a Transpose in front, as
// tf2onnx writes), with inputs and the features torch computes. We load each export the way
// `fruits` does, run it on each backend, and compare within kTolerance of the largest feature
// magnitude; the two backends are also compared with each other.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/mobilenet_v2.h"
#include "model/model_loader.h"
#include "storage/local_store.h"
#include "support/float_file.h"
#include "support/python_reference.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::model {
namespace {

using testing::ReadFloats;

// The bound: 1e-4 of the largest magnitude (float32 sums over ~50 layers).
constexpr double kTolerance = 1e-4;

const std::string kFixtures = FRUITS_TORCH_FIXTURES;

nlohmann::json Manifest() {
  std::ifstream in(kFixtures + "/manifest.json");
  if (!in) return nlohmann::json::object();
  return nlohmann::json::parse(in);
}

nlohmann::json FindCase(const std::string& name) {
  for (const auto& c : Manifest().value("cases", nlohmann::json::array())) {
    if (c["name"] == name) return c;
  }
  return nullptr;
}

// Largest |ours - theirs| relative to the largest |theirs|.
double RelativeError(const Tensor& ours, const std::vector<float>& theirs) {
  double largest = 0, error = 0;
  for (float v : theirs) largest = std::max(largest, std::abs(static_cast<double>(v)));
  for (size_t i = 0; i < theirs.size(); ++i) {
    error = std::max(error, std::abs(static_cast<double>(ours.data()[i]) - theirs[i]));
  }
  return error / largest;
}

Tensor InputTensor(const nlohmann::json& run) {
  Tensor tensor(run["input_shape"].get<std::vector<int64_t>>());
  std::vector<float> values = ReadFloats(kFixtures + "/" + run["input"].get<std::string>());
  EXPECT_EQ(values.size(), tensor.size());
  std::copy(values.begin(), values.begin() + std::min(values.size(), tensor.size()), tensor.data());
  return tensor;
}

// The fixture's input in the layout the backend takes (XNNPACK reads NHWC whatever the export).
Tensor InputFor(const Backend& backend, const nlohmann::json& run) {
  Tensor tensor = InputTensor(run);
  if (backend.input().layout == Layout::kNchw || tensor.dim(3) == backend.input().channels) {
    return tensor;
  }
  const int64_t n = tensor.dim(0), c = tensor.dim(1), hw = tensor.dim(2) * tensor.dim(3);
  Tensor nhwc({n, tensor.dim(2), tensor.dim(3), c});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t p = 0; p < hw; ++p)
        nhwc.data()[(i * hw + p) * c + k] = tensor.data()[(i * c + k) * hw + p];
  return nhwc;
}

LoadedModel LoadCase(const nlohmann::json& c, const std::string& backend) {
  storage::LocalStore store;
  return LoadModel(OnnxModel::Read(store, kFixtures + "/" + c["model"].get<std::string>()),
                   {.backend = backend});
}

const auto kCases = ::testing::Values(
    "mobilenet_v2_nchw_op13", "mobilenet_v2_nhwc_op13", "resnet18_nchw_op13", "resnet18_nhwc_op13",
    "mobilenet_v2_nchw_op10", "mobilenet_v2_nchw_op11", "mobilenet_v2_nchw_op12",
    "mobilenet_v2_nchw_op14", "mobilenet_v2_nchw_op15", "mobilenet_v2_nchw_op16",
    "mobilenet_v2_nchw_op17", "resnet18_nchw_op10", "resnet18_nchw_op17", "resnet50_nchw_op11",
    "resnet50_nchw_op13", "efficientnet_b0_nchw_op13", "efficientnet_b0_nhwc_op13",
    "mobilenet_v2_keras_nchw_op13", "mobilenet_v2_keras_nhwc_op13");
// Cases only the XNNPACK backend runs: OpenCV 4.6 refuses HardSigmoid.
const auto kXnnpackCases =
    ::testing::Values("mobilenet_v3_large_nchw_op13", "mobilenet_v3_small_nchw_op13");

// Why the loader picks the features of a case: the backbone's embedding, before a dense head of
// one layer, or of several (MobileNetV3's two, a Keras transfer-learning head's three).
std::string ExpectedReason(const std::string& name) {
  if (name.find("_keras") != std::string::npos) return "input of the classifier head of 3 dense";
  if (name.find("mobilenet_v3") != std::string::npos) {
    return "input of the classifier head of 2 dense";
  }
  return "input of the final classifier Gemm";
}

class TorchvisionReference : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
};

TEST_P(TorchvisionReference, FeaturesEqualTorchvision) {
  const auto& [name, backend] = GetParam();
  nlohmann::json c = FindCase(name);
  ASSERT_FALSE(c.is_null()) << name << " missing from " << kFixtures;
  // XNNPACK as --backend auto picks it: with no fallback to OpenCV.
  LoadedModel loaded = LoadCase(c, backend == "xnnpack" ? "auto" : backend);
  ASSERT_EQ(loaded.backend->name(), backend);
  EXPECT_EQ(loaded.backend->feature_dim(), c["feature_dim"].get<int64_t>());
  EXPECT_EQ(LayoutName(loaded.backend->input().layout),
            backend == "xnnpack" ? "NHWC" : c["layout"].get<std::string>());
  EXPECT_NE(loaded.feature_layer.reason.find(ExpectedReason(name)), std::string::npos)
      << loaded.feature_layer.reason;
  for (const auto& run : c["runs"]) {
    Tensor features = loaded.backend->Run(InputFor(*loaded.backend, run));
    std::vector<float> expected = ReadFloats(kFixtures + "/" + run["expected"].get<std::string>());
    ASSERT_EQ(features.size(), expected.size()) << "batch " << run["batch"];
    const double error = RelativeError(features, expected);
    EXPECT_LT(error, kTolerance) << "batch " << run["batch"];
    RecordProperty("relative_error_batch_" + run["batch"].dump(), std::to_string(error));
  }
}

std::string CaseAndBackend(
    const ::testing::TestParamInfo<std::tuple<std::string, std::string>>& info) {
  return std::get<0>(info.param) + "_" + std::get<1>(info.param);
}

INSTANTIATE_TEST_SUITE_P(Exports, TorchvisionReference,
                         ::testing::Combine(kCases, ::testing::Values("xnnpack", "opencv")),
                         CaseAndBackend);
INSTANTIATE_TEST_SUITE_P(XnnpackOnly, TorchvisionReference,
                         ::testing::Combine(kXnnpackCases, ::testing::Values("xnnpack")),
                         CaseAndBackend);

// The two backends agree with each other on every model both run, at the fixture's first batch.
class BackendCrossCheck : public ::testing::TestWithParam<std::string> {};

TEST_P(BackendCrossCheck, XnnpackAndOpenCvAgree) {
  nlohmann::json c = FindCase(GetParam());
  ASSERT_FALSE(c.is_null()) << GetParam() << " missing from " << kFixtures;
  LoadedModel xnnpack = LoadCase(c, "xnnpack");
  LoadedModel opencv = LoadCase(c, "opencv");
  const nlohmann::json& run = c["runs"][0];
  Tensor theirs = opencv.backend->Run(InputFor(*opencv.backend, run));
  Tensor ours = xnnpack.backend->Run(InputFor(*xnnpack.backend, run));
  EXPECT_LT(RelativeError(ours, std::vector<float>(theirs.data(), theirs.data() + theirs.size())),
            kTolerance);
}

INSTANTIATE_TEST_SUITE_P(Exports, BackendCrossCheck, kCases,
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// `fruits model init`: torchvision's MobileNetV2 loaded with the weights of our ONNX file gives
// our features, and those features look like a network's, not like noise or zeros.
TEST(BuiltInMobileNetV2, FeaturesEqualTorchvisionWithTheSameWeightsAndAreNotDegenerate) {
  nlohmann::json c = FindCase("mobilenet_v2_nchw_op13");
  ASSERT_FALSE(c.is_null());
  const nlohmann::json& run = c["runs"][1];  // 32 images
  testing::TempDir dir;
  const std::string model_path = dir.File("demo.onnx");
  {
    storage::LocalStore store;
    auto file = store.NewWritableFile(model_path);
    file->Append(BuildMobileNetV2({.seed = 7}));
    file->Commit();
  }
  storage::LocalStore store;
  LoadedModel loaded = LoadModel(OnnxModel::Read(store, model_path), {});
  ASSERT_EQ(loaded.backend->feature_dim(), 1280);
  Tensor features = loaded.backend->Run(InputFor(*loaded.backend, run));

  const std::string torch_out = dir.File("torch.f32");
  auto r = testing::RunPythonReference(
      "torch_models.py",
      "features-from-onnx " + testing::ShellQuote(model_path) + " " +
          testing::ShellQuote(kFixtures + "/" + run["input"].get<std::string>()) + " 32 " +
          testing::ShellQuote(torch_out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<float> expected = ReadFloats(torch_out);
  ASSERT_EQ(expected.size(), features.size());
  EXPECT_LT(RelativeError(features, expected), kTolerance);

  double sum_magnitude = 0;
  for (size_t i = 0; i < features.size(); ++i) {
    ASSERT_TRUE(std::isfinite(features.data()[i])) << "feature " << i;
    sum_magnitude += std::abs(features.data()[i]);
  }
  const double mean_magnitude = sum_magnitude / features.size();
  EXPECT_GT(mean_magnitude, 0.01);
  EXPECT_LT(mean_magnitude, 10.0);
  // Different images give different vectors: the spread across the batch is a real fraction of
  // the features' size, for most dimensions.
  int varying = 0;
  for (int64_t d = 0; d < 1280; ++d) {
    double mean = 0, square = 0;
    for (int64_t i = 0; i < 32; ++i) mean += features.row(i)[d] / 32.0;
    for (int64_t i = 0; i < 32; ++i) square += std::pow(features.row(i)[d] - mean, 2) / 32.0;
    varying += std::sqrt(square) > 0.01 * mean_magnitude;
  }
  EXPECT_GT(varying, 1280 * 9 / 10);
}

TEST(BuiltInMobileNetV2, TheSameSeedGivesTheSameModelAndAnotherSeedAnother) {
  // A small input keeps the three calibrations quick; the weights do not depend on it.
  std::string a = BuildMobileNetV2({.seed = 3, .image_size = 64});
  EXPECT_EQ(a, BuildMobileNetV2({.seed = 3, .image_size = 64}));
  EXPECT_NE(a, BuildMobileNetV2({.seed = 4, .image_size = 64}));
  OnnxModel model = OnnxModel::Parse(a, "demo.onnx");
  EXPECT_NE(model.Metadata("fruits.purpose").find("tests and demos only"), std::string::npos);
}

}  // namespace
}  // namespace fruits::model
