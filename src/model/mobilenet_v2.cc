#include "model/mobilenet_v2.h"

#include <cmath>
#include <random>

#include "model/batch_norm_calibration.h"
#include "model/graph_builder.h"
#include "model/onnx_model.h"

namespace fruits::model {

namespace {

// Random numbers that are the same on every platform for a seed (std::normal_distribution is not).
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  double Uniform() { return (engine_() >> 11) * 0x1.0p-53; }
  double Normal() {
    double u = 1.0 - Uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * Uniform());
  }
  std::vector<float> Normals(size_t n, double stddev, double mean = 0) {
    std::vector<float> values(n);
    for (float& v : values) v = static_cast<float>(mean + stddev * Normal());
    return values;
  }
  std::vector<float> Uniforms(size_t n, double low, double high) {
    std::vector<float> values(n);
    for (float& v : values) v = static_cast<float>(low + (high - low) * Uniform());
    return values;
  }

 private:
  std::mt19937_64 engine_;
};

// Writes the network layer by layer with torchvision's parameter names.
class MobileNetV2Writer {
 public:
  explicit MobileNetV2Writer(uint64_t seed) : random_(seed), builder_(13) {}

  std::string Write(int64_t image_size) {
    std::string x = builder_.Input("input", {-1, 3, image_size, image_size});
    builder_.Initializer("relu6.min", {}, {0.0f});
    builder_.Initializer("relu6.max", {}, {6.0f});
    x = ConvBn(x, "features.0.0", "features.0.1", 3, 32, 3, 2, 1, true);
    // (expansion t, output channels c, repeats n, first stride s), as in the MobileNetV2 paper.
    const int64_t settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int64_t channels = 32;
    int block = 1;
    for (const auto& [t, c, n, s] : settings) {
      for (int64_t i = 0; i < n; ++i, ++block) {
        x = InvertedResidual(x, "features." + std::to_string(block), channels, c, i == 0 ? s : 1,
                             t);
        channels = c;
      }
    }
    x = ConvBn(x, "features.18.0", "features.18.1", channels, 1280, 1, 1, 1, true);
    x = builder_.Node("GlobalAveragePool", {x}, "pooled");
    x = builder_.Node("Flatten", {x}, "features", {{"axis", int64_t{1}}});
    // torchvision's classifier initialisation: normal(0, 0.01) weights, zero bias.
    std::string w = builder_.Initializer("classifier.1.weight", {1000, 1280},
                                         random_.Normals(1000 * 1280, 0.01));
    std::string b = builder_.Initializer("classifier.1.bias", {1000}, std::vector<float>(1000));
    x = builder_.Node("Gemm", {x, w, b}, "logits", {{"transB", int64_t{1}}});
    builder_.Output(x, {-1, 1000});
    builder_.Metadata("fruits.purpose",
                      "tests and demos only: random weights, not a trained model");
    builder_.Metadata("fruits.architecture", "mobilenet_v2");
    return builder_.Serialize();
  }

 private:
  std::string InvertedResidual(const std::string& x, const std::string& prefix, int64_t in,
                               int64_t out, int64_t stride, int64_t expansion) {
    const int64_t hidden = in * expansion;
    std::string y = x;
    int index = 0;
    if (expansion != 1) {
      y = ConvBn(y, prefix + ".conv.0.0", prefix + ".conv.0.1", in, hidden, 1, 1, 1, true);
      index = 1;
    }
    const std::string dw = prefix + ".conv." + std::to_string(index);
    y = ConvBn(y, dw + ".0", dw + ".1", hidden, hidden, 3, stride, hidden, true);
    y = ConvBn(y, prefix + ".conv." + std::to_string(index + 1),
               prefix + ".conv." + std::to_string(index + 2), hidden, out, 1, 1, 1, false);
    if (stride == 1 && in == out) y = builder_.Node("Add", {x, y}, prefix + ".add");
    return y;
  }

  // Conv (no bias, He-normal weights) + BatchNormalization (+ ReLU6 as Clip(0, 6)).
  std::string ConvBn(const std::string& x, const std::string& conv, const std::string& bn,
                     int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups,
                     bool relu6) {
    const int64_t fan_in = in / groups * kernel * kernel;
    std::string w = builder_.Initializer(
        conv + ".weight", {out, in / groups, kernel, kernel},
        random_.Normals(out * fan_in, std::sqrt(2.0 / static_cast<double>(fan_in))));
    const int64_t pad = kernel / 2;
    std::string y = builder_.Node("Conv", {x, w}, conv + ".out",
                                  {{"kernel_shape", std::vector<int64_t>{kernel, kernel}},
                                   {"strides", std::vector<int64_t>{stride, stride}},
                                   {"pads", std::vector<int64_t>{pad, pad, pad, pad}},
                                   {"dilations", std::vector<int64_t>{1, 1}},
                                   {"group", groups}});
    const size_t c = static_cast<size_t>(out);
    // Scale and shift vary by channel, as in a trained network; mean and variance are calibrated.
    y = builder_.Node(
        "BatchNormalization",
        {y, builder_.Initializer(bn + ".weight", {out}, random_.Uniforms(c, 0.75, 1.25)),
         builder_.Initializer(bn + ".bias", {out}, random_.Normals(c, 0.2)),
         builder_.Initializer(bn + ".running_mean", {out}, std::vector<float>(c)),
         builder_.Initializer(bn + ".running_var", {out}, std::vector<float>(c, 1))},
        bn + ".out", {{"epsilon", 1e-5f}, {"momentum", 0.9f}});
    if (relu6) y = builder_.Node("Clip", {y, "relu6.min", "relu6.max"}, bn + ".relu6");
    return y;
  }

  Random random_;
  GraphBuilder builder_;
};

}  // namespace

std::string BuildMobileNetV2(const MobileNetV2Options& options) {
  MobileNetV2Writer writer(options.seed);
  OnnxModel model = OnnxModel::Parse(writer.Write(options.image_size), "built-in mobilenet_v2");
  CalibrateBatchNorms(model, SyntheticImages(options.seed, 8, options.image_size));
  return model.Serialize();
}

}  // namespace fruits::model
