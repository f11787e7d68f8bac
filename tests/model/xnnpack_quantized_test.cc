// QDQ models on the XNNPACK backend: the operators XNNPACK has in int8 run in int8 and give the
// numbers integer arithmetic gives (checked against a plain reference of ONNX's QDQ semantics
// computed here), the others run in float on dequantized tensors, and uint8 activations mean
// the same as int8 ones. Also the activation recorder calibration reads through.

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "model/graph_builder.h"
#include "model/model_loader.h"
#include "model/quantization/activation_recorder.h"
#include "model/tiny_models.h"
#include "util/error.h"

namespace fruits::model {
namespace {

constexpr int64_t kSize = 8, kChannels = 8;

// An int8 or uint8 (zero points shifted by 128) activation's parameters.
struct Params {
  float scale;
  int32_t zero_point;  // as int8
};

double Quant(double x, const Params& p) {
  return std::clamp(std::nearbyint(x / p.scale) + p.zero_point, -128.0, 127.0);
}
double FakeQuant(double x, const Params& p) { return (Quant(x, p) - p.zero_point) * p.scale; }

float Wave(size_t i, float scale, float offset) {
  return scale * std::sin(0.61f * static_cast<float>(i) + offset);
}

// Writes integer initializers the builder has no call for.
void IntInitializer(GraphBuilder& b, const std::string& name, int32_t type,
                    const std::vector<int64_t>& dims, const std::vector<int32_t>& values) {
  onnx::TensorProto& t = *b.mutable_proto().mutable_graph()->add_initializer();
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims) t.add_dims(d);
  for (int32_t v : values) t.add_int32_data(v);
}

class QdqNet {
 public:
  explicit QdqNet(bool uint8) : uint8_(uint8), b_(13) {}

  // Q -> DQ of `x` with `p`; returns the dequantized tensor's name.
  std::string Pair(const std::string& x, const Params& p) {
    const int32_t type = uint8_ ? onnx::TensorProto::UINT8 : onnx::TensorProto::INT8;
    b_.Initializer(x + ".s", {}, {p.scale});
    IntInitializer(b_, x + ".z", type, {}, {p.zero_point + (uint8_ ? 128 : 0)});
    b_.Node("QuantizeLinear", {x, x + ".s", x + ".z"}, x + ".q");
    return b_.Node("DequantizeLinear", {x + ".q", x + ".s", x + ".z"}, x + ".dq");
  }

  // Int8 weights with a scale per output channel (0 for channel `zero_scale`, when given) and an
  // int32 bias, each through a DequantizeLinear; returns the float weights and bias the reference
  // uses.
  std::pair<std::vector<double>, std::vector<double>> Weights(const std::string& name,
                                                              std::vector<int64_t> dims,
                                                              float input_scale,
                                                              int64_t zero_scale = -1) {
    const int64_t out = dims[0], per = dims[1] * dims[2] * dims[3];
    std::vector<int32_t> q(out * per), q_bias(out);
    std::vector<float> scales(out), bias_scales(out);
    std::vector<double> w(out * per), bias(out);
    for (int64_t o = 0; o < out; ++o) {
      scales[o] = o == zero_scale ? 0 : 0.0003f * static_cast<float>(o + 3);
      bias_scales[o] = input_scale * scales[o];
      q_bias[o] = o == zero_scale
                      ? 7
                      : static_cast<int32_t>(std::lround(Wave(o, 0.2f, 1) / bias_scales[o]));
      bias[o] = q_bias[o] * static_cast<double>(bias_scales[o]);
      for (int64_t i = 0; i < per; ++i) {
        q[o * per + i] = static_cast<int32_t>(std::lround(Wave(o * per + i, 127, 0.3f)));
        w[o * per + i] = q[o * per + i] * static_cast<double>(scales[o]);
      }
    }
    IntInitializer(b_, name + ".wq", onnx::TensorProto::INT8, dims, q);
    b_.Initializer(name + ".ws", {out}, scales);
    IntInitializer(b_, name + ".wz", onnx::TensorProto::INT8, {out}, std::vector<int32_t>(out));
    b_.Node("DequantizeLinear", {name + ".wq", name + ".ws", name + ".wz"}, name + ".w",
            {{"axis", int64_t{0}}});
    IntInitializer(b_, name + ".bq", onnx::TensorProto::INT32, {out}, q_bias);
    b_.Initializer(name + ".bs", {out}, bias_scales);
    IntInitializer(b_, name + ".bz", onnx::TensorProto::INT32, {out}, std::vector<int32_t>(out));
    b_.Node("DequantizeLinear", {name + ".bq", name + ".bs", name + ".bz"}, name + ".b",
            {{"axis", int64_t{0}}});
    return {w, bias};
  }

  GraphBuilder& builder() { return b_; }

 private:
  bool uint8_;
  GraphBuilder b_;
};

// Ranges that hold the float model's values on Images() with some room: nothing saturates.
const Params kInput{0.02f, -3}, kConv{0.03f, -128}, kDepthwise{0.045f, 0}, kSum{0.045f, -5},
    kGate{1.0f / 255, -128}, kProduct{0.025f, -115}, kPool{0.009f, -110};

// image -> Q/DQ -> Conv 3x3 + Relu (int8) -> Q/DQ "a" -> depthwise 3x3 (int8) -> Q/DQ "b" ->
// Add(a, b) (int8) -> Q/DQ "c" -> c * Sigmoid(c) (Sigmoid in float, Mul in int8) -> Q/DQ ->
// GlobalAveragePool (int8) -> Q/DQ -> Flatten "features".
struct Model {
  std::string bytes;
  std::vector<double> conv_w, conv_b, dw_w, dw_b;
};

// With `zero_scale`, the first Conv's channel 1 has weights and bias of scale 0 (all zeros).
Model BuildModel(bool uint8, bool zero_scale = false) {
  QdqNet net(uint8);
  GraphBuilder& b = net.builder();
  Model m;
  std::string x = net.Pair(b.Input("image", {-1, 3, kSize, kSize}), kInput);
  std::tie(m.conv_w, m.conv_b) =
      net.Weights("conv", {kChannels, 3, 3, 3}, kInput.scale, zero_scale ? 1 : -1);
  const std::vector<Attribute> window{{"kernel_shape", std::vector<int64_t>{3, 3}},
                                      {"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  x = b.Node("Conv", {x, "conv.w", "conv.b"}, "conv", window);
  const std::string a = net.Pair(b.Node("Relu", {x}, "a"), kConv);
  std::tie(m.dw_w, m.dw_b) = net.Weights("dw", {kChannels, 1, 3, 3}, kConv.scale);
  std::vector<Attribute> depthwise = window;
  depthwise.push_back({"group", kChannels});
  const std::string d = net.Pair(b.Node("Conv", {a, "dw.w", "dw.b"}, "d", depthwise), kDepthwise);
  const std::string c = net.Pair(b.Node("Add", {a, d}, "c"), kSum);
  const std::string gate = net.Pair(b.Node("Sigmoid", {c}, "gate"), kGate);
  x = net.Pair(b.Node("Mul", {c, gate}, "product"), kProduct);
  x = net.Pair(b.Node("GlobalAveragePool", {x}, "pool"), kPool);
  b.Node("Flatten", {x}, "features");
  b.Output("features", {-1, kChannels});
  m.bytes = b.Serialize();
  return m;
}

// The model's features by ONNX's QDQ semantics: each operator on dequantized values in double,
// each Q/DQ pair rounding to its grid. `image` is [3, kSize, kSize].
std::vector<double> Reference(const Model& m, const float* image) {
  const int64_t s = kSize, hw = s * s;
  auto conv = [&](const std::vector<double>& in, int64_t in_c, const std::vector<double>& w,
                  const std::vector<double>& bias, bool depthwise) {
    std::vector<double> out(kChannels * hw);
    for (int64_t o = 0; o < kChannels; ++o)
      for (int64_t y = 0; y < s; ++y)
        for (int64_t x = 0; x < s; ++x) {
          double acc = bias[o];
          for (int64_t c = 0; c < (depthwise ? 1 : in_c); ++c)
            for (int64_t i = 0; i < 3; ++i)
              for (int64_t j = 0; j < 3; ++j) {
                const int64_t yy = y + i - 1, xx = x + j - 1;
                if (yy < 0 || yy >= s || xx < 0 || xx >= s) continue;
                const int64_t channel = depthwise ? o : c;
                acc += in[channel * hw + yy * s + xx] *
                       w[((o * (depthwise ? 1 : in_c) + c) * 3 + i) * 3 + j];
              }
          out[o * hw + y * s + x] = acc;
        }
    return out;
  };
  std::vector<double> x(3 * hw);
  for (int64_t i = 0; i < 3 * hw; ++i) x[i] = FakeQuant(image[i], kInput);
  std::vector<double> a = conv(x, 3, m.conv_w, m.conv_b, false);
  for (double& v : a) v = FakeQuant(std::max(v, 0.0), kConv);
  std::vector<double> d = conv(a, kChannels, m.dw_w, m.dw_b, true);
  std::vector<double> features(kChannels, 0);
  for (int64_t i = 0; i < kChannels * hw; ++i) {
    const double c = FakeQuant(a[i] + FakeQuant(d[i], kDepthwise), kSum);
    const double gate = FakeQuant(1 / (1 + std::exp(-c)), kGate);
    features[i / hw] += FakeQuant(c * gate, kProduct) / hw;
  }
  for (double& f : features) f = FakeQuant(f, kPool);
  return features;
}

Tensor Images(int64_t n) {
  Tensor images({n, kSize, kSize, 3});
  for (size_t i = 0; i < images.size(); ++i) images.data()[i] = Wave(i * 7 % 997, 2.0f, 0.1f);
  return images;
}

// The NHWC image i of `images` as [3, kSize, kSize].
std::vector<float> Planar(const Tensor& images, int64_t i) {
  std::vector<float> planar(3 * kSize * kSize);
  for (int64_t p = 0; p < kSize * kSize; ++p)
    for (int64_t c = 0; c < 3; ++c)
      planar[c * kSize * kSize + p] = images.data()[(i * kSize * kSize + p) * 3 + c];
  return planar;
}

TEST(XnnpackQuantized, GivesTheNumbersOfQdqSemanticsInInt8) {
  const Model m = BuildModel(/*uint8=*/false);
  LoadedModel loaded = LoadModel(OnnxModel::Parse(m.bytes, "qdq.onnx"), {.backend = "xnnpack"});
  const std::vector<std::string>& facts = loaded.rewrites;
  // Conv, depthwise, Add, Mul and the pool in int8; Sigmoid's input and Flatten's as floats.
  EXPECT_NE(std::find(facts.begin(), facts.end(), "operators computing in int8: 5"), facts.end());
  EXPECT_NE(std::find(facts.begin(), facts.end(),
                      "int8 tensors converted to float for an operator that is not: 2"),
            facts.end());
  const int64_t n = 5;
  const Tensor images = Images(n);
  const Tensor features = loaded.backend->Run(images);
  ASSERT_EQ(features.shape(), (std::vector<int64_t>{n, kChannels}));
  int exact = 0;
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<double> expected = Reference(m, Planar(images, i).data());
    for (int64_t c = 0; c < kChannels; ++c) {
      // Requantization rounds once per operator where the reference rounds the exact value:
      // a tie broken the other way moves one step, and the pool averages such steps.
      const double got = features.data()[i * kChannels + c];
      EXPECT_NEAR(got, expected[c], 2 * kPool.scale) << "image " << i << " channel " << c;
      exact += got == static_cast<float>(expected[c]);
    }
  }
  // Mostly exact: the tolerance covers rounding, not a wrong formula.
  EXPECT_GE(exact, n * kChannels * 3 / 4);
}

// XNNPACK's int8 kernels take positive scales: a Conv whose weights have a scale of 0 computes in
// float, on the weights the file defines (before, dividing by that scale made NaN).
TEST(XnnpackQuantized, ComputesWeightsWithAScaleOfZeroInFloat) {
  const Model m = BuildModel(/*uint8=*/false, /*zero_scale=*/true);
  LoadedModel loaded = LoadModel(OnnxModel::Parse(m.bytes, "zero.onnx"), {.backend = "xnnpack"});
  const std::vector<std::string>& facts = loaded.rewrites;
  EXPECT_NE(std::find(facts.begin(), facts.end(), "operators computing in int8: 4"), facts.end());
  const Tensor images = Images(2);
  const Tensor features = loaded.backend->Run(images);
  for (int64_t i = 0; i < 2; ++i) {
    const std::vector<double> expected = Reference(m, Planar(images, i).data());
    for (int64_t c = 0; c < kChannels; ++c) {
      EXPECT_NEAR(features.data()[i * kChannels + c], expected[c], 2 * kPool.scale);
    }
  }
}

TEST(XnnpackQuantized, ReadsUint8ActivationsAsTheSameNumbers) {
  LoadedModel int8 =
      LoadModel(OnnxModel::Parse(BuildModel(false).bytes, "s8.onnx"), {.backend = "xnnpack"});
  LoadedModel uint8 =
      LoadModel(OnnxModel::Parse(BuildModel(true).bytes, "u8.onnx"), {.backend = "xnnpack"});
  const Tensor images = Images(3);
  const Tensor a = int8.backend->Run(images), b = uint8.backend->Run(images);
  EXPECT_EQ(std::vector<float>(a.data(), a.data() + a.size()),
            std::vector<float>(b.data(), b.data() + b.size()));
}

TEST(ActivationRecorder, KeepsEachObservedTensorAsTheGraphComputesIt) {
  // TinyNet's Relu would fuse into its Conv: observing the Conv's output keeps it apart.
  LoadedModel loaded = LoadModel(OnnxModel::Parse(TinyNet(), "tiny.onnx"), {.backend = "xnnpack"});
  quantization::ActivationRecorder recorder(loaded.graph, {"conv", "act", "features"}, 1);
  ASSERT_EQ(recorder.input().layout, Layout::kNhwc);
  Tensor images({2, kTinySize, kTinySize, 3});
  for (size_t i = 0; i < images.size(); ++i) images.data()[i] = Wave(i, 1.5f, 0.2f);
  std::map<size_t, std::vector<float>> seen;
  recorder.Run(images, [&](size_t tensor, std::span<const float> values) {
    seen[tensor].assign(values.begin(), values.end());
  });
  ASSERT_EQ(seen.size(), 3u);
  ASSERT_EQ(seen[0].size(), size_t(2 * 4 * kTinySize * kTinySize));
  ASSERT_EQ(seen[1].size(), seen[0].size());
  EXPECT_TRUE(std::any_of(seen[0].begin(), seen[0].end(), [](float v) { return v < 0; }));
  for (size_t i = 0; i < seen[0].size(); ++i) EXPECT_EQ(seen[1][i], std::max(seen[0][i], 0.0f));
  const Tensor features = loaded.backend->Run(images);
  EXPECT_EQ(seen[2], std::vector<float>(features.data(), features.data() + features.size()));
}

TEST(ActivationRecorder, RefusesATensorThePlanDoesNotCompute) {
  LoadedModel loaded = LoadModel(OnnxModel::Parse(TinyNet(), "tiny.onnx"), {.backend = "xnnpack"});
  EXPECT_THROW(quantization::ActivationRecorder(loaded.graph, {"no_such_tensor"}, 1), Error);
}

}  // namespace
}  // namespace fruits::model
