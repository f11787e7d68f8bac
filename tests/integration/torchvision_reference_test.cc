// Our features against torchvision's, for the same weights and the same input tensors.
//
// tests/references/torch_models.py (run by the CTest fixture "torch_fixtures") exports seeded
// torchvision models of every common ImageNet family as ONNX, at several opsets, NCHW and NHWC (a
// Transpose in front, as tf2onnx writes), with inputs and the features torch computes. We load
// each export the way `fruits` does, run it on each backend, and compare within kTolerance of the
// largest feature magnitude.
//
// One test per case and check, named after the case ("Manifest/TorchvisionCase.
// XnnpackEqualsTorch/resnet50_nchw_op13"). The cases are those CMake listed at configure time
// (`torch_models.py cases`, FRUITS_TORCH_CASES), so that CTest names them before the fixture
// has run; with FRUITS_TORCH_FIXTURES=DIR in the environment the binary instead runs every case
// of DIR/manifest.json (e.g. `torch_models.py fixtures DIR --matrix full`, the nightly matrix).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

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

// The fixtures folder: the environment's FRUITS_TORCH_FIXTURES, or the one CTest's fixture writes.
const char* const kFixturesOverride = std::getenv("FRUITS_TORCH_FIXTURES");
const std::string kFixtures = kFixturesOverride ? kFixturesOverride : FRUITS_TORCH_FIXTURES;

// The families OpenCV 4.6 ran before issue 16: there an OpenCV failure fails the test. Of the
// others, OpenCV runs most but not all (MobileNetV3's HardSigmoid, ConvNeXt's broadcasting
// LayerNorm, ShuffleNetV2's computed Reshape, ...), which is why `--backend auto` must choose
// XNNPACK for them; there a failure to load or run is a skipped check that says why, while
// wrong numbers still fail it.
const std::set<std::string> kOpenCvArchs = {"mobilenet_v2", "mobilenet_v2_keras", "resnet18",
                                            "resnet50", "efficientnet_b0"};

const nlohmann::json& Manifest() {
  static const nlohmann::json manifest = [] {
    std::ifstream in(kFixtures + "/manifest.json");
    return in ? nlohmann::json::parse(in) : nlohmann::json::object();
  }();
  return manifest;
}

nlohmann::json FindCase(const std::string& name) {
  for (const auto& c : Manifest().value("cases", nlohmann::json::array())) {
    if (c["name"] == name) return c;
  }
  return nullptr;
}

std::vector<std::string> ConfiguredCaseNames() {
  std::istringstream names(FRUITS_TORCH_CASES);
  return {std::istream_iterator<std::string>(names), std::istream_iterator<std::string>()};
}

// The cases to run: the manifest's with FRUITS_TORCH_FIXTURES set, else CMake's list.
std::vector<std::string> CaseNames() {
  if (!kFixturesOverride) return ConfiguredCaseNames();
  std::vector<std::string> names;
  for (const auto& c : Manifest().value("cases", nlohmann::json::array()))
    names.push_back(c["name"]);
  return names;
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

// Why the loader picks the features of a case: the backbone's embedding, before a dense head of
// one layer or of several (MobileNetV3's two, VGG's three, a Keras transfer-learning head's
// three), or the model's output when it has no dense head (SqueezeNet).
std::string ExpectedReason(const nlohmann::json& c) {
  const int layers = c["head_dense_layers"].get<int>();
  if (layers == 0) return "the model's output";
  if (layers == 1) return "input of the final classifier Gemm";
  return "input of the classifier head of " + std::to_string(layers) + " dense";
}

// Runs every batch of the case and checks the features against torch's.
void ExpectFeaturesEqualTorch(Backend& backend, const nlohmann::json& c) {
  for (const auto& run : c["runs"]) {
    Tensor features = backend.Run(InputFor(backend, run));
    std::vector<float> expected = ReadFloats(kFixtures + "/" + run["expected"].get<std::string>());
    ASSERT_EQ(features.size(), expected.size()) << "batch " << run["batch"];
    const double error = RelativeError(features, expected);
    EXPECT_LT(error, kTolerance) << "batch " << run["batch"];
    ::testing::Test::RecordProperty("relative_error_batch_" + run["batch"].dump(),
                                    std::to_string(error));
  }
}

// What runs outside XNNPACK's subgraphs. Until the backend lists those nodes, the rewrites and
// translation facts of the shared preparation and the backend stand in for them.
void PrintNodesOutsideXnnpack(const std::string& name, const LoadedModel& loaded) {
  std::cout << name << ": " << loaded.rewrites.size() << " rewrite(s):\n";
  for (const std::string& line : loaded.rewrites) std::cout << "  " << line << "\n";
  ::testing::Test::RecordProperty("rewrites", std::to_string(loaded.rewrites.size()));
}

// The OpenCV backend loaded and checked on the case's first batch, or nullptr with *why when it
// cannot load or run the model.
std::unique_ptr<LoadedModel> LoadOpenCv(const nlohmann::json& c, std::string* why) {
  try {
    auto loaded = std::make_unique<LoadedModel>(LoadCase(c, "opencv"));
    loaded->backend->Run(InputFor(*loaded->backend, c["runs"][0]));
    return loaded;
  } catch (const std::exception& e) {
    *why = e.what();
    return nullptr;
  }
}

class TorchvisionCase : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    case_ = FindCase(GetParam());
    ASSERT_FALSE(case_.is_null()) << GetParam() << " missing from " << kFixtures;
  }

  nlohmann::json case_;
};

// The fast engine runs every family with torchvision's numbers, and `--backend auto` takes it:
// the model is loaded as `auto` would, and when that is not XNNPACK, loaded again with
// `--backend xnnpack` (no fallback) for its refusal.
TEST_P(TorchvisionCase, XnnpackEqualsTorch) {
  LoadedModel loaded = LoadCase(case_, "auto");
  if (loaded.backend->name() != "xnnpack") {
    std::string refusal = "(it loads when forced)";
    try {
      LoadCase(case_, "xnnpack");
    } catch (const Error& e) {
      refusal = e.what();
    }
    FAIL() << "--backend auto chose " << loaded.backend->name() << ", not xnnpack: " << refusal;
  }
  PrintNodesOutsideXnnpack(GetParam(), loaded);
  EXPECT_EQ(loaded.backend->feature_dim(), case_["feature_dim"].get<int64_t>());
  EXPECT_EQ(LayoutName(loaded.backend->input().layout), "NHWC");
  EXPECT_NE(loaded.feature_layer.reason.find(ExpectedReason(case_)), std::string::npos)
      << loaded.feature_layer.reason;
  ExpectFeaturesEqualTorch(*loaded.backend, case_);
}

// OpenCV where it can run the model: the same features, in the export's own layout.
TEST_P(TorchvisionCase, OpenCvEqualsTorch) {
  std::string why;
  std::unique_ptr<LoadedModel> loaded = LoadOpenCv(case_, &why);
  if (!loaded && kOpenCvArchs.contains(case_["arch"].get<std::string>())) {
    FAIL() << "OpenCV cannot run " << GetParam() << ": " << why;
  }
  if (!loaded) GTEST_SKIP() << "OpenCV cannot run " << GetParam() << ": " << why;
  EXPECT_EQ(loaded->backend->feature_dim(), case_["feature_dim"].get<int64_t>());
  EXPECT_EQ(LayoutName(loaded->backend->input().layout), case_["layout"].get<std::string>());
  EXPECT_NE(loaded->feature_layer.reason.find(ExpectedReason(case_)), std::string::npos)
      << loaded->feature_layer.reason;
  ExpectFeaturesEqualTorch(*loaded->backend, case_);
}

std::string CaseName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Manifest, TorchvisionCase, ::testing::ValuesIn(CaseNames()), CaseName);

// A stale configuration would leave the fixture's new cases untested: CMake's list is the
// manifest's.
TEST(TorchvisionManifest, ListsTheConfiguredCases) {
  if (kFixturesOverride) GTEST_SKIP() << "the cases are the manifest's own";
  std::set<std::string> in_manifest;
  for (const auto& c : Manifest().value("cases", nlohmann::json::array())) {
    in_manifest.insert(c["name"].get<std::string>());
  }
  const std::vector<std::string> configured = ConfiguredCaseNames();
  EXPECT_EQ(in_manifest, std::set<std::string>(configured.begin(), configured.end()))
      << "rerun cmake after editing torch_models.py";
}

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
