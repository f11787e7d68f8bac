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

// Two engines requantize each layer's output (onnxruntime in fixed point, XNNPACK in float), so
// a value may round one step apart at a layer and the difference travels on: a few steps at the
// features, and less than one on average.
constexpr double kMaxSteps = 4;
constexpr double kMeanSteps = 0.5;

const char* const kFixturesOverride = std::getenv("FRUITS_TORCH_FIXTURES");
const std::string kFixtures = kFixturesOverride ? kFixturesOverride : FRUITS_TORCH_FIXTURES;

nlohmann::json FindCase(const std::string& name) {
  std::ifstream in(kFixtures + "/manifest.json");
  if (!in) return nullptr;
  for (const auto& c : nlohmann::json::parse(in)["cases"]) {
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
// (tests/references/onnx_run_float.mjs).
std::vector<float> OnnxRuntimeOutput(const std::string& model, const std::string& input,
                                     const std::vector<int64_t>& shape, const std::string& output) {
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

TEST_P(QuantizedTorchvision, XnnpackInt8FeaturesEqualOnnxRuntimes) {
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

  // The fixture's smallest batch through both engines.
  const nlohmann::json& run = c["runs"][0];
  const std::string input = kFixtures + "/" + run["input"].get<std::string>();
  const auto shape = run["input_shape"].get<std::vector<int64_t>>();
  const std::vector<float> theirs =
      OnnxRuntimeOutput(cut_path, input, shape, dir_->File(GetParam() + ".ort.f32"));
  LoadedModel ours = LoadModel(OnnxModel::Read(store, qdq), {.backend = "xnnpack"});
  EXPECT_EQ(ours.feature_layer.tensor, layer.tensor);
  const Tensor features = ours.backend->Run(Nhwc(ReadFloats(input), shape));
  ASSERT_EQ(features.size(), theirs.size());

  double largest = 0, sum = 0;
  for (size_t i = 0; i < theirs.size(); ++i) {
    const double steps = std::abs(double{features.data()[i]} - theirs[i]) / scale;
    largest = std::max(largest, steps);
    sum += steps;
  }
  const double mean = sum / static_cast<double>(theirs.size());
  RecordProperty("max_steps", std::to_string(largest));
  RecordProperty("mean_steps", std::to_string(mean));
  EXPECT_LE(largest, kMaxSteps) << "feature scale " << scale;
  EXPECT_LE(mean, kMeanSteps) << "feature scale " << scale;
}

INSTANTIATE_TEST_SUITE_P(Families, QuantizedTorchvision,
                         ::testing::Values("mobilenet_v2_nchw_op13", "resnet18_nchw_op13",
                                           "efficientnet_b0_nchw_op13"));

}  // namespace
}  // namespace fruits::model
