// Our int8 engine against onnxruntime on the same QDQ file, for torchvision's MobileNetV2,
// ResNet-18 and EfficientNet-B0.
//
// Each torchvision export of the `torch_fixtures` fixture (tests/references/torch_models.py) is
// quantized by `fruits model quantize` on a few synthetic images (`fruits dataset sample`, resized
// to 224 by the preprocessor, mobilenet normalisation: values in [-1, 1] like the fixtures'
// inputs). Then both engines compute the features of the fixture's input tensor: ours through
// LoadModel (`--backend xnnpack`, cut at the feature layer as extract cuts it), onnxruntime on the
// same QDQ file cut at the same tensor by the same CutAtFeatureLayer (the whole file's output is
// the float head's logits, where int8 differences are mixed by a float layer; the features are
// what fruits hands on). Tolerance: a few quantization steps of the feature tensor, whose scale
// the file holds (the DequantizeLinear the feature tensor is read through).

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/feature_layer.h"
#include "model/model_loader.h"
#include "storage/local_store.h"
#include "support/float_file.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fruits::model {
namespace {

using testing::ReadFloats;
using testing::RunCommand;
using testing::ShellQuote;

// Our engine and the QDQ file's definition (onnxruntime running it node by node) round each
// requantization alike up to float error, so a value may land one step apart at a layer and the
// difference travels on: a few steps at the features, under one on average...
constexpr double kMaxSteps = 5.5;
constexpr double kMeanSteps = 0.5;
// ...unless the network amplifies such differences, as the random-weight MobileNetV2 does: there
// the definition itself moves by 15 steps (2.8 on average) when its input moves by one part in a
// million. The bound is then twice what the definition does under that perturbation.
constexpr double kInputPerturbation = 1e-6;
constexpr double kSelfMargin = 2;

const char* const kFixturesOverride = std::getenv("FRUITS_TORCH_FIXTURES");
const std::string kFixtures = kFixturesOverride ? kFixturesOverride : FRUITS_TORCH_FIXTURES;

nlohmann::json FindCase(const std::string& name) {
  std::ifstream in(kFixtures + "/manifest.json");
  if (!in) return nullptr;
  const nlohmann::json manifest = nlohmann::json::parse(in);
  for (const auto& c : manifest["cases"]) {
    if (c["name"] == name) return c;
  }
  return nullptr;
}

testing::CommandResult Fruits(const std::string& args) {
  return RunCommand(ShellQuote(FRUITS_BINARY) + " " + args);
}

// The scale the feature tensor is dequantized with: found through the reshapes between it and
// the DequantizeLinear before it. 0 when there is none (the test then fails).
float FeatureScale(const OnnxModel& model, const std::string& tensor) {
  const onnx::GraphProto& graph = model.proto().graph();
  std::string name = tensor;
  for (bool walked = true; walked;) {
    walked = false;
    for (const onnx::NodeProto& node : graph.node()) {
      if (node.output_size() == 0 || node.output(0) != name) continue;
      if (node.op_type() == "DequantizeLinear") {
        for (const onnx::TensorProto& initializer : graph.initializer()) {
          if (initializer.name() != node.input(1)) continue;
          if (initializer.float_data_size() > 0) return initializer.float_data(0);
          float scale = 0;
          std::memcpy(&scale, initializer.raw_data().data(), sizeof scale);
          return scale;
        }
        return 0;
      }
      if (node.op_type() == "Flatten" || node.op_type() == "Reshape" ||
          node.op_type() == "Squeeze" || node.op_type() == "Identity") {
        name = node.input(0);
        walked = true;
      }
      break;
    }
  }
  return 0;
}

// Over the whole batch: how alike two sets of features point.
double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    ab += double{a[i]} * b[i];
    aa += double{a[i]} * a[i];
    bb += double{b[i]} * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

// How many quantization steps of the feature tensor two sets of features are apart.
struct Steps {
  double largest = 0;
  double mean = 0;
};
Steps StepsApart(const std::vector<float>& a, const std::vector<float>& b, float scale) {
  Steps steps;
  for (size_t i = 0; i < a.size(); ++i) {
    const double apart = std::abs(double{a[i]} - b[i]) / scale;
    steps.largest = std::max(steps.largest, apart);
    steps.mean += apart / static_cast<double>(a.size());
  }
  return steps;
}

// The fixture's NCHW input in the layout our backend takes (XNNPACK: NHWC).
Tensor Nhwc(const std::vector<float>& nchw, const std::vector<int64_t>& shape) {
  const int64_t n = shape[0], c = shape[1], hw = shape[2] * shape[3];
  Tensor nhwc({n, shape[2], shape[3], c});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t p = 0; p < hw; ++p)
        nhwc.data()[(i * hw + p) * c + k] = nchw[(i * c + k) * hw + p];
  return nhwc;
}

// onnxruntime's first output for a raw float32 input of that shape
// (tests/references/onnx_run_float.mjs); `node_by_node`: without graph optimizations, so that
// the QDQ file runs as ONNX defines it rather than on onnxruntime's fused int8 kernels.
std::vector<float> OnnxRuntimeOutput(const std::string& model, const std::string& input,
                                     const std::vector<int64_t>& shape, const std::string& output,
                                     bool node_by_node) {
  std::string dims;
  for (int64_t d : shape) {
    if (!dims.empty()) dims += ',';
    dims += std::to_string(d);
  }
  std::string command = "node ";
  command += ShellQuote(std::string(FRUITS_SOURCE_DIR) + "/tests/references/onnx_run_float.mjs");
  // Appended piece by piece: GCC 12 warns (wrongly) on " " + a temporary string here.
  for (const std::string& argument : {model, input, dims, output}) {
    command += ' ';
    command += ShellQuote(argument);
  }
  if (node_by_node) command += " --no-optimization";
  const auto r = RunCommand(command);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return ReadFloats(output);
}

class QuantizedTorchvision : public ::testing::TestWithParam<std::string> {
 protected:
  // A few synthetic images to calibrate on, for every case.
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    const auto r = Fruits("dataset sample -o " + ShellQuote(Images()) +
                          " --classes 2 --per-class 4 --test-per-class 1 --seed 3");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Images() { return dir_->File("images"); }
  static inline testing::TempDir* dir_ = nullptr;
};

TEST_P(QuantizedTorchvision, XnnpackInt8FeaturesEqualTheQdqFilesDefinition) {
  const nlohmann::json c = FindCase(GetParam());
  ASSERT_FALSE(c.is_null()) << GetParam() << " missing from " << kFixtures;
  const std::string qdq = dir_->File(GetParam() + ".int8.onnx");
  const auto q = Fruits("model quantize --model " +
                        ShellQuote(kFixtures + "/" + c["model"].get<std::string>()) +
                        " --calibration " + ShellQuote(Images() + "/Training") +
                        " --images 8 --holdout 0 --quiet -o " + ShellQuote(qdq));
  ASSERT_EQ(q.exit_code, 0) << q.err;

  // onnxruntime: the QDQ file cut at the feature layer, as LoadModel cuts it.
  storage::LocalStore store;
  OnnxModel cut = OnnxModel::Read(store, qdq);
  const FeatureLayer layer = ChooseFeatureLayer(cut, "");
  const float scale = FeatureScale(cut, layer.tensor);
  ASSERT_GT(scale, 0) << "no DequantizeLinear before the feature tensor '" << layer.tensor << "'";
  CutAtFeatureLayer(cut, layer);
  const std::string cut_path = dir_->File(GetParam() + ".int8.features.onnx");
  store.Write(cut_path, cut.Serialize());

  // The fixture's smallest batch through our engine and through onnxruntime twice: as ONNX
  // defines the file (node by node, the reference) and on its own int8 kernels (recorded).
  const nlohmann::json& run = c["runs"][0];
  const std::string input = kFixtures + "/" + run["input"].get<std::string>();
  const auto shape = run["input_shape"].get<std::vector<int64_t>>();
  const std::vector<float> reference =
      OnnxRuntimeOutput(cut_path, input, shape, dir_->File(GetParam() + ".ort.f32"), true);
  const std::vector<float> kernels =
      OnnxRuntimeOutput(cut_path, input, shape, dir_->File(GetParam() + ".ort_int8.f32"), false);
  LoadedModel loaded = LoadModel(OnnxModel::Read(store, qdq), {.backend = "xnnpack"});
  EXPECT_EQ(loaded.feature_layer.tensor, layer.tensor);
  const Tensor features = loaded.backend->Run(Nhwc(ReadFloats(input), shape));
  const std::vector<float> ours(features.data(), features.data() + features.size());
  ASSERT_EQ(ours.size(), reference.size());

  // The definition's own spread: its features for the input moved by one part in a million.
  const std::string perturbed = dir_->File(GetParam() + ".perturbed.f32");
  std::vector<float> moved = ReadFloats(input);
  for (size_t i = 0; i < moved.size(); ++i) {
    moved[i] *= static_cast<float>(1 + kInputPerturbation * (double(i * 7919 % 2001) / 1000 - 1));
  }
  testing::WriteFloats(perturbed, moved.data(), moved.size());
  const Steps self = StepsApart(reference,
                                OnnxRuntimeOutput(cut_path, perturbed, shape,
                                                  dir_->File(GetParam() + ".ort_moved.f32"), true),
                                scale);
  RecordProperty("max_steps_definition_moved_input", std::to_string(self.largest));
  RecordProperty("mean_steps_definition_moved_input", std::to_string(self.mean));

  const Steps steps = StepsApart(ours, reference, scale);
  RecordProperty("max_steps", std::to_string(steps.largest));
  RecordProperty("mean_steps", std::to_string(steps.mean));
  const Steps kernel_steps = StepsApart(ours, kernels, scale);
  RecordProperty("max_steps_onnxruntime_int8_kernels", std::to_string(kernel_steps.largest));
  RecordProperty("mean_steps_onnxruntime_int8_kernels", std::to_string(kernel_steps.mean));
  // How far the int8 features are from torch's float ones: the calibration's figure, recorded.
  const std::vector<float> torch = ReadFloats(kFixtures + "/" + run["expected"].get<std::string>());
  RecordProperty("cosine_ours_torch_float", std::to_string(Cosine(ours, torch)));
  RecordProperty("cosine_onnxruntime_int8_kernels_torch_float",
                 std::to_string(Cosine(kernels, torch)));
  EXPECT_LE(steps.largest, std::max(kMaxSteps, kSelfMargin * self.largest))
      << "feature scale " << scale;
  EXPECT_LE(steps.mean, std::max(kMeanSteps, kSelfMargin * self.mean)) << "feature scale " << scale;
}

INSTANTIATE_TEST_SUITE_P(Families, QuantizedTorchvision,
                         ::testing::Values("mobilenet_v2_nchw_op13", "resnet18_nchw_op13",
                                           "efficientnet_b0_nchw_op13"));

}  // namespace
}  // namespace fruits::model
