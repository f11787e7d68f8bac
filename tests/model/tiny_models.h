// Small ONNX models built in code for the model tests, and a plain C++ reference of their math.
//
// TinyNet: input [N, 3, 6, 6] (or NHWC behind a Transpose) -> Conv 3x3 (4 channels, pad 1) ->
// Relu or Clip -> GlobalAveragePool -> Flatten ("features", 4 floats) -> Gemm (2 classes) ->
// Softmax. Options add the forms real exports use (Identity, Dropout, Constant, Clip bounds as
// inputs) so each normalisation pass has something to do.
#pragma once

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "model/graph_builder.h"
#include "model/onnx_model.h"
#include "model/tensor.h"

namespace fruits::model {

// A Constant node holding a float tensor (as some exporters write weights); returns `output`.
inline std::string ConstantNode(GraphBuilder& b, const std::string& output,
                                const std::vector<int64_t>& dims,
                                const std::vector<float>& values) {
  auto& node = *b.mutable_proto().mutable_graph()->add_node();
  node.set_op_type("Constant");
  node.set_name(output);
  node.add_output(output);
  auto& attribute = *node.add_attribute();
  attribute.set_name("value");
  attribute.set_type(onnx::AttributeProto::TENSOR);
  auto& tensor = *attribute.mutable_t();
  tensor.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) tensor.add_dims(d);
  tensor.set_raw_data(values.data(), values.size() * sizeof(float));
  return output;
}

struct TinyNetOptions {
  bool nhwc = false;
  bool clip_with_inputs = false;  // Clip(x, min, max), opset 13 style, instead of Relu
  bool identity_and_dropout = false;
  bool constant_node = false;  // the Gemm bias comes from a Constant node
  int64_t opset = 13;
};

inline constexpr int64_t kTinySize = 6;

inline std::vector<float> TinyConvWeights() {
  std::vector<float> w(4 * 3 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = static_cast<float>(static_cast<int>(i * 37 % 17) - 8) / 16.0f;
  return w;
}
inline std::vector<float> TinyGemmWeights() { return {0.5f, -1, 0.25f, 2, -0.5f, 1, 1.5f, -2}; }

inline std::string TinyNet(const TinyNetOptions& options = {}) {
  GraphBuilder b(options.opset);
  std::string x;
  if (options.nhwc) {
    x = b.Input("image", {-1, kTinySize, kTinySize, 3});
    x = b.Node("Transpose", {x}, "to_nchw", {{"perm", std::vector<int64_t>{0, 3, 1, 2}}});
  } else {
    x = b.Input("image", {-1, 3, kTinySize, kTinySize});
  }
  std::string w = b.Initializer("conv.weight", {4, 3, 3, 3}, TinyConvWeights());
  std::string bias = b.Initializer("conv.bias", {4}, {0.1f, -0.2f, 0.3f, 0});
  x = b.Node(
      "Conv", {x, w, bias}, "conv",
      {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  if (options.clip_with_inputs) {
    b.Initializer("clip.min", {}, {0});
    b.Initializer("clip.max", {}, {0.75f});
    x = b.Node("Clip", {x, "clip.min", "clip.max"}, "act");
  } else {
    x = b.Node("Relu", {x}, "act");
  }
  if (options.identity_and_dropout) x = b.Node("Identity", {x}, "act_copy");
  x = b.Node("GlobalAveragePool", {x}, "pool");
  x = b.Node("Flatten", {x}, "features", {{"axis", int64_t{1}}});
  if (options.identity_and_dropout) x = b.Node("Dropout", {x}, "dropout");
  std::string gemm_bias = options.constant_node ? ConstantNode(b, "gemm.bias", {2}, {0.5f, -0.5f})
                                                : b.Initializer("gemm.bias", {2}, {0.5f, -0.5f});
  std::string gw = b.Initializer("gemm.weight", {2, 4}, TinyGemmWeights());
  x = b.Node("Gemm", {x, gw, gemm_bias}, "logits", {{"transB", int64_t{1}}});
  x = b.Node("Softmax", {x}, "probabilities", {{"axis", int64_t{1}}});
  b.Output(x, {-1, 2});
  return b.Serialize();
}

// PyTorch's x.view(x.size(0), -1) before opset 11: Relu, then Reshape(r, Concat(Unsqueeze(
// Gather(Shape(r), 0)), [-1])), output "features" [N, channels * height * width].
inline std::string BatchViewNet(int64_t channels, int64_t height, int64_t width) {
  GraphBuilder b(10);
  b.Input("x", {-1, channels, height, width});
  b.Node("Relu", {"x"}, "r");
  b.Node("Shape", {"r"}, "shape");
  b.Int64Initializer("zero", {}, {0});
  b.Node("Gather", {"shape", "zero"}, "batch");
  b.Node("Unsqueeze", {"batch"}, "batch_1d", {{"axes", std::vector<int64_t>{0}}});
  b.Int64Initializer("minus_one", {1}, {-1});
  b.Node("Concat", {"batch_1d", "minus_one"}, "view_shape", {{"axis", int64_t{0}}});
  b.Node("Reshape", {"r", "view_shape"}, "features");
  b.Output("features", {-1, channels * height * width});
  return b.Serialize();
}

// A model of `channels` input channels: [N, channels, 6, 6] -> Conv 3x3 (2 outputs, pad 1) ->
// Relu -> GlobalAveragePool -> Flatten ("features", 2 floats). Its weights: ChannelsNetWeight.
inline float ChannelsNetWeight(size_t i) { return static_cast<float>(int(i * 29 % 11) - 5) / 8; }

inline std::string ChannelsNet(int64_t channels) {
  GraphBuilder b(13);
  b.Input("image", {-1, channels, kTinySize, kTinySize});
  std::vector<float> w(2 * channels * 9);
  for (size_t i = 0; i < w.size(); ++i) w[i] = ChannelsNetWeight(i);
  b.Initializer("conv.weight", {2, channels, 3, 3}, w);
  b.Node(
      "Conv", {"image", "conv.weight"}, "conv",
      {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  b.Node("Relu", {"conv"}, "act");
  b.Node("GlobalAveragePool", {"act"}, "pool");
  b.Node("Flatten", {"pool"}, "features");
  b.Output("features", {-1, 2});
  return b.Serialize();
}

// ChannelsNet's features with plain loops. `images` is [N, channels, 6, 6]; for one channel that
// is also the NHWC layout.
inline std::vector<float> ChannelsFeatures(const Tensor& images, int64_t channels) {
  const int64_t n = images.dim(0), s = kTinySize;
  std::vector<float> features(n * 2);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < 2; ++o) {
      double sum = 0;
      for (int64_t y = 0; y < s; ++y) {
        for (int64_t x = 0; x < s; ++x) {
          double v = 0;
          for (int64_t c = 0; c < channels; ++c) {
            for (int64_t ky = 0; ky < 3; ++ky) {
              for (int64_t kx = 0; kx < 3; ++kx) {
                const int64_t py = y + ky - 1, px = x + kx - 1;
                if (py < 0 || px < 0 || py >= s || px >= s) continue;
                v += ChannelsNetWeight(((o * channels + c) * 3 + ky) * 3 + kx) *
                     images.data()[((i * channels + c) * s + py) * s + px];
              }
            }
          }
          sum += std::max(v, 0.0);
        }
      }
      features[i * 2 + o] = static_cast<float>(sum / (s * s));
    }
  }
  return features;
}

// Deterministic images in [-1, 1], in the layout asked for.
inline Tensor TinyImages(int64_t n, bool nhwc = false) {
  Tensor images(nhwc ? std::vector<int64_t>{n, kTinySize, kTinySize, 3}
                     : std::vector<int64_t>{n, 3, kTinySize, kTinySize});
  for (size_t i = 0; i < images.size(); ++i) {
    images.data()[i] = static_cast<float>((i * 7919 % 201)) / 100.0f - 1.0f;
  }
  return images;
}

// The features ("features" tensor) of TinyNet computed with plain loops: the test's reference.
inline std::vector<float> TinyFeatures(const Tensor& images, bool nhwc, float clip_max) {
  const int64_t n = images.dim(0), s = kTinySize;
  auto pixel = [&](int64_t i, int64_t c, int64_t y, int64_t x) -> double {
    if (y < 0 || x < 0 || y >= s || x >= s) return 0;
    return nhwc ? images.data()[((i * s + y) * s + x) * 3 + c]
                : images.data()[((i * 3 + c) * s + y) * s + x];
  };
  const std::vector<float> w = TinyConvWeights();
  const float bias[4] = {0.1f, -0.2f, 0.3f, 0};
  std::vector<float> features(n * 4);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < 4; ++o) {
      double sum = 0;
      for (int64_t y = 0; y < s; ++y) {
        for (int64_t x = 0; x < s; ++x) {
          double v = bias[o];
          for (int64_t c = 0; c < 3; ++c) {
            for (int64_t ky = 0; ky < 3; ++ky) {
              for (int64_t kx = 0; kx < 3; ++kx) {
                v += w[((o * 3 + c) * 3 + ky) * 3 + kx] * pixel(i, c, y + ky - 1, x + kx - 1);
              }
            }
          }
          sum += std::clamp(v, 0.0, static_cast<double>(clip_max));
        }
      }
      features[i * 4 + o] = static_cast<float>(sum / (s * s));
    }
  }
  return features;
}

// Every feature within `tolerance` of the largest expected magnitude (float32 sums of a few
// hundred products stay well within 1e-5).
inline void ExpectFeaturesNear(const Tensor& features, const std::vector<float>& expected,
                               float tolerance = 1e-5f) {
  ASSERT_EQ(features.size(), expected.size());
  float largest = 0;
  for (float v : expected) largest = std::max(largest, std::abs(v));
  ASSERT_GT(largest, 0.01f);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(features.data()[i], expected[i], tolerance * largest) << "feature " << i;
  }
}

// Two branches joined by a Concat: OpenCV runs it, XNNPACK does not.
inline std::string ConcatNet() {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("Relu", {"x"}, "a");
  b.Node("Sigmoid", {"x"}, "b");
  b.Node("Concat", {"a", "b"}, "joined", {{"axis", int64_t{1}}});
  b.Node("GlobalAveragePool", {"joined"}, "pooled");
  b.Node("Flatten", {"pooled"}, "features");
  b.Output("features", {-1, 6});
  return b.Serialize();
}

// A net OpenCV runs and the XNNPACK backend refuses: local response normalisation (the original
// AlexNet's), which neither XNNPACK nor our kernels have.
inline std::string LrnNet() {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("Relu", {"x"}, "a");
  b.Node("LRN", {"a"}, "joined", {{"size", int64_t{3}}});
  b.Node("GlobalAveragePool", {"joined"}, "pooled");
  b.Node("Flatten", {"pooled"}, "features");
  b.Output("features", {-1, 3});
  return b.Serialize();
}

}  // namespace fruits::model
