// A QDQ file from InsertQdq run by onnxruntime (npm onnxruntime-node, through
// tests/references/onnx_run_float.mjs) against a fake-quantization reference written here with
// plain loops in double: quantize and dequantize the input, the weights per channel, the bias and
// every paired activation exactly as the QDQ semantics say, compute the rest in real arithmetic.
//
// The net: [2, 3, 8, 8] -> Conv 3x3 -> Relu "r1" -> Conv 3x3 "c2" -> Add(r1, c2) -> Relu "r2" ->
// GlobalAveragePool -> Flatten "features" -> Gemm head "logits". Its features come out within one
// quantization step of the reference (onnxruntime computes in int8 with float requantization, so
// a value at a rounding tie may land one step away).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "model/feature_layer.h"
#include "model/graph_builder.h"
#include "model/graph_preparation.h"
#include "model/mobilenet_v2.h"
#include "model/onnx_model.h"
#include "model/quantization/activation_ranges.h"
#include "model/quantization/qdq_rewrite.h"
#include "support/float_file.h"
#include "support/reference_readers.h"
#include "support/temp_dir.h"

namespace fruits::model::quantization {
namespace {

constexpr int64_t kBatch = 2, kChannels = 4, kSize = 8;

// [n, c, h, w] values in double.
struct Maps {
  int64_t n, c, h, w;
  std::vector<double> v;
  Maps(int64_t n, int64_t c, int64_t h, int64_t w) : n(n), c(c), h(h), w(w), v(n * c * h * w) {}
  double& at(int64_t i, int64_t ch, int64_t y, int64_t x) {
    return v[((i * c + ch) * h + y) * w + x];
  }
  double get(int64_t i, int64_t ch, int64_t y, int64_t x) const {
    if (y < 0 || x < 0 || y >= h || x >= w) return 0;
    return v[((i * c + ch) * h + y) * w + x];
  }
};

// Weights whose output channels differ in magnitude, so that per-channel scales matter.
std::vector<float> ConvWeights(int64_t outputs, int64_t inputs, unsigned salt) {
  std::vector<float> w(outputs * inputs * 9);
  for (size_t i = 0; i < w.size(); ++i) {
    const double channel_gain = 0.25 * static_cast<double>(1 + i / (inputs * 9));
    w[i] =
        static_cast<float>(channel_gain * static_cast<double>(int((i * 37 + salt) % 23) - 11) / 20);
  }
  return w;
}
const std::vector<float> kBias1 = {0.1f, -0.3f, 0.05f, 0.2f}, kBias2 = {-0.1f, 0.15f, 0, 0.4f};

std::string ResidualNet() {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, kSize, kSize});
  b.Initializer("w1", {kChannels, 3, 3, 3}, ConvWeights(kChannels, 3, 5));
  b.Initializer("b1", {kChannels}, kBias1);
  b.Initializer("w2", {kChannels, kChannels, 3, 3}, ConvWeights(kChannels, kChannels, 11));
  b.Initializer("b2", {kChannels}, kBias2);
  const std::vector<Attribute> conv = {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                       {"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  b.Node("Conv", {"x", "w1", "b1"}, "c1", conv);
  b.Node("Relu", {"c1"}, "r1");
  b.Node("Conv", {"r1", "w2", "b2"}, "c2", conv);
  b.Node("Add", {"r1", "c2"}, "s");
  b.Node("Relu", {"s"}, "r2");
  b.Node("GlobalAveragePool", {"r2"}, "pool");
  b.Node("Flatten", {"pool"}, "features");
  b.Initializer("head.weight", {3, kChannels}, {1, -1, 0.5f, 0, 0.25f, 2, -1, 1, 0, 0, 1, -0.5f});
  b.Initializer("head.bias", {3}, {0.1f, 0, -0.1f});
  b.Node("Gemm", {"features", "head.weight", "head.bias"}, "logits", {{"transB", int64_t{1}}});
  b.Output("features", {-1, kChannels});
  b.Output("logits", {-1, 3});
  return b.Serialize();
}

std::vector<float> Images() {
  std::vector<float> images(kBatch * 3 * kSize * kSize);
  for (size_t i = 0; i < images.size(); ++i) {
    images[i] = static_cast<float>(int(i * 7919 % 201) - 100) / 100;
  }
  return images;
}

// QuantizeLinear then DequantizeLinear: round half to even, saturate to int8.
double FakeQuantize(double v, const ActivationQuantization& q) {
  const double code = std::clamp(std::nearbyint(v / q.scale) + q.zero_point, -128.0, 127.0);
  return (code - q.zero_point) * q.scale;
}

// Weights as int8 per output channel dequantized, and the bias as int32 on input scale times
// weight scale dequantized: what the QDQ file's DequantizeLinear nodes hold.
struct ConvParameters {
  std::vector<double> weights, bias;
};
ConvParameters FakeQuantizeConv(const std::vector<float>& w, const std::vector<float>& b,
                                double input_scale) {
  const size_t per_channel = w.size() / b.size();
  ConvParameters p;
  for (size_t c = 0; c < b.size(); ++c) {
    double largest = 0;
    for (size_t i = 0; i < per_channel; ++i)
      largest = std::max(largest, std::fabs(double(w[c * per_channel + i])));
    const double scale = static_cast<float>(largest / 127);
    for (size_t i = 0; i < per_channel; ++i) {
      p.weights.push_back(
          std::clamp(std::nearbyint(w[c * per_channel + i] / scale), -127.0, 127.0) * scale);
    }
    const double bias_scale = static_cast<float>(input_scale * scale);
    p.bias.push_back(std::nearbyint(b[c] / bias_scale) * bias_scale);
  }
  return p;
}

Maps Conv3x3(const Maps& in, const std::vector<double>& w, const std::vector<double>& bias) {
  Maps out(in.n, static_cast<int64_t>(bias.size()), in.h, in.w);
  for (int64_t i = 0; i < in.n; ++i)
    for (int64_t o = 0; o < out.c; ++o)
      for (int64_t y = 0; y < in.h; ++y)
        for (int64_t x = 0; x < in.w; ++x) {
          double sum = bias[o];
          for (int64_t c = 0; c < in.c; ++c)
            for (int64_t ky = 0; ky < 3; ++ky)
              for (int64_t kx = 0; kx < 3; ++kx)
                sum += w[((o * in.c + c) * 3 + ky) * 3 + kx] * in.get(i, c, y + ky - 1, x + kx - 1);
          out.at(i, o, y, x) = sum;
        }
  return out;
}

// The net's tensors; `quantization` empty computes in float (calibration), otherwise each paired
// tensor is fake-quantized with its parameters.
struct Forward {
  Maps x{kBatch, 3, kSize, kSize}, r1{0, 0, 0, 0}, c2{0, 0, 0, 0}, r2{0, 0, 0, 0};
  std::vector<double> pool;
};
Forward RunNet(const std::map<std::string, ActivationQuantization>& quantization) {
  const bool fake = !quantization.empty();
  auto fq = [&](Maps& m, const std::string& name) {
    if (fake) {
      for (double& v : m.v) v = FakeQuantize(v, quantization.at(name));
    }
  };
  auto relu = [](Maps& m) {
    for (double& v : m.v) v = std::max(v, 0.0);
  };
  auto parameters = [&](const std::vector<float>& w, const std::vector<float>& b,
                        const std::string& input) {
    if (fake) return FakeQuantizeConv(w, b, quantization.at(input).scale);
    return ConvParameters{{w.begin(), w.end()}, {b.begin(), b.end()}};
  };
  Forward f;
  const std::vector<float> images = Images();
  f.x.v.assign(images.begin(), images.end());
  fq(f.x, "x");
  const ConvParameters p1 = parameters(ConvWeights(kChannels, 3, 5), kBias1, "x");
  f.r1 = Conv3x3(f.x, p1.weights, p1.bias);
  relu(f.r1);
  fq(f.r1, "r1");
  const ConvParameters p2 = parameters(ConvWeights(kChannels, kChannels, 11), kBias2, "r1");
  f.c2 = Conv3x3(f.r1, p2.weights, p2.bias);
  fq(f.c2, "c2");
  f.r2 = f.r1;
  for (size_t i = 0; i < f.r2.v.size(); ++i) f.r2.v[i] = std::max(f.r1.v[i] + f.c2.v[i], 0.0);
  fq(f.r2, "r2");
  for (int64_t i = 0; i < kBatch; ++i) {
    for (int64_t c = 0; c < kChannels; ++c) {
      double sum = 0;
      for (int64_t p = 0; p < kSize * kSize; ++p)
        sum += f.r2.v[(i * kChannels + c) * kSize * kSize + p];
      f.pool.push_back(sum / (kSize * kSize));
    }
  }
  if (fake) {
    for (double& v : f.pool) v = FakeQuantize(v, quantization.at("pool"));
  }
  return f;
}

// Calibration by minmax on the float net's own tensors.
std::map<std::string, ActivationQuantization> Calibrate(const QuantizationPlan& plan) {
  const Forward f = RunNet({});
  const std::map<std::string, const std::vector<double>*> values = {
      {"x", &f.x.v}, {"r1", &f.r1.v}, {"c2", &f.c2.v}, {"r2", &f.r2.v}, {"pool", &f.pool}};
  ActivationRanges ranges(plan.tensors.size(), CalibrationMethod::kMinMax);
  std::map<std::string, ActivationQuantization> parameters;
  for (size_t t = 0; t < plan.tensors.size(); ++t) {
    const std::vector<double>& v = *values.at(plan.tensors[t]);
    const std::vector<float> floats(v.begin(), v.end());
    ranges.ObserveExtremes(t, floats);
    parameters[plan.tensors[t]] = ranges.Quantization(t);
  }
  return parameters;
}

TEST(QdqOnnxRuntime, FeaturesWithinOneStepOfFakeQuantization) {
  OnnxModel model = OnnxModel::Parse(ResidualNet(), "residual.onnx");
  const QuantizationPlan plan = PlanQuantization(model, "features");
  ASSERT_EQ(plan.tensors, (std::vector<std::string>{"x", "r1", "c2", "r2", "pool"}));
  const std::map<std::string, ActivationQuantization> parameters = Calibrate(plan);
  InsertQdq(model, plan, parameters, "minmax, test");

  testing::TempDir dir;
  const std::string model_path = dir.File("residual.int8.onnx");
  const std::string bytes = model.Serialize();
  std::ofstream(model_path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  const std::vector<float> images = Images();
  testing::WriteFloats(dir.File("x.f32"), images.data(), images.size());
  const nlohmann::json shape = testing::RunReferenceReader(
      "onnx_run_float.mjs", testing::ShellQuote(model_path) + " " +
                                testing::ShellQuote(dir.File("x.f32")) + " 2,3,8,8 " +
                                testing::ShellQuote(dir.File("features.f32")));
  ASSERT_EQ(shape.value("name", ""), "features");
  ASSERT_EQ(shape["dims"], (nlohmann::json{kBatch, kChannels}));
  const std::vector<float> ours = testing::ReadFloats(dir.File("features.f32"));

  const std::vector<double> reference = RunNet(parameters).pool;
  const ActivationQuantization pool = parameters.at("pool");
  ASSERT_EQ(ours.size(), reference.size());
  double largest = 0, farthest = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    largest = std::max(largest, std::fabs(reference[i]));
    farthest = std::max(farthest, std::fabs(ours[i] - reference[i]) / pool.scale);
    EXPECT_NEAR(ours[i], reference[i], pool.scale * 1.001) << "feature " << i;
    // onnxruntime's features are the pool's dequantized codes: on its grid.
    const double code = ours[i] / pool.scale + pool.zero_point;
    EXPECT_NEAR(code, std::nearbyint(code), 1e-3) << "feature " << i;
  }
  EXPECT_GT(largest, 20 * pool.scale);  // features span many steps: the check has teeth
  RecordProperty("largest_difference_in_steps", std::to_string(farthest));
}

// `model` run by onnxruntime on `images` ([1, 3, size, size]): its first output.
std::vector<float> RunOnnxRuntime(const testing::TempDir& dir, const OnnxModel& model,
                                  const std::string& name, const std::vector<float>& images,
                                  const std::string& dims) {
  const std::string model_path = dir.File(name + ".onnx"), output = dir.File(name + ".f32");
  const std::string bytes = model.Serialize();
  std::ofstream(model_path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  testing::WriteFloats(dir.File("images.f32"), images.data(), images.size());
  testing::RunReferenceReader("onnx_run_float.mjs",
                              testing::ShellQuote(model_path) + " " +
                                  testing::ShellQuote(dir.File("images.f32")) + " " + dims + " " +
                                  testing::ShellQuote(output));
  return testing::ReadFloats(output);
}

// The built-in MobileNetV2 (Conv + BatchNormalization + Clip, depthwise convolutions, residual
// Adds), cut at its features and prepared as `extract` prepares it: its batch norms fold into the
// convolutions (onnxruntime gives the same float features, to 1e-4 of the largest), then every
// operator is quantized and onnxruntime runs the file. Its activations get one generous range,
// [-8, 8]: this checks the file's form, not calibration.
TEST(QdqOnnxRuntime, BuiltInMobileNetV2FoldsAndRunsInOnnxRuntime) {
  constexpr int64_t kImage = 32;
  OnnxModel model = OnnxModel::Parse(BuildMobileNetV2({.seed = 3, .image_size = kImage}), "m.onnx");
  const FeatureLayer layer = ChooseFeatureLayer(model, "");
  CutAtFeatureLayer(model, layer);
  PrepareGraph(model);
  std::vector<float> images(3 * kImage * kImage);
  for (size_t i = 0; i < images.size(); ++i) images[i] = float(int(i * 7919 % 201) - 100) / 50;
  testing::TempDir dir;
  const std::string dims = "1,3,32,32";
  const std::vector<float> unfolded = RunOnnxRuntime(dir, model, "unfolded", images, dims);

  EXPECT_EQ(FoldBatchNorms(model), 52);
  const std::vector<float> folded = RunOnnxRuntime(dir, model, "folded", images, dims);
  ASSERT_EQ(unfolded.size(), 1280u);
  ASSERT_EQ(folded.size(), 1280u);
  float largest = 0;
  for (float v : unfolded) largest = std::max(largest, std::fabs(v));
  for (size_t i = 0; i < folded.size(); ++i) EXPECT_NEAR(folded[i], unfolded[i], 1e-4 * largest);

  const QuantizationPlan plan = PlanQuantization(model, layer.tensor);
  EXPECT_EQ(plan.float_nodes, std::vector<std::string>{});
  int convolutions = 0;
  for (const auto& node : plan.quantized_nodes) convolutions += node.starts_with("Conv ") ? 1 : 0;
  EXPECT_EQ(convolutions, 52);
  std::map<std::string, ActivationQuantization> parameters;
  for (const auto& tensor : plan.tensors) parameters[tensor] = QuantizationForRange(-8, 8);
  InsertQdq(model, plan, parameters, "test");
  const std::vector<float> quantized = RunOnnxRuntime(dir, model, "quantized", images, dims);
  ASSERT_EQ(quantized.size(), 1280u);
  double dot = 0, qq = 0, ff = 0;
  for (size_t i = 0; i < quantized.size(); ++i) {
    ASSERT_TRUE(std::isfinite(quantized[i]));
    dot += double(quantized[i]) * folded[i];
    qq += double(quantized[i]) * quantized[i];
    ff += double(folded[i]) * folded[i];
  }
  RecordProperty("cosine_int8_vs_float", std::to_string(dot / std::sqrt(qq * ff)));
  EXPECT_GT(qq, 0);
}

}  // namespace
}  // namespace fruits::model::quantization
