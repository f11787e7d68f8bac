// The XNNPACK backend against a plain C++ reference and against the OpenCV backend, its runtime
// cache across batch sizes and callers, and its refusals.

#include "model/xnnpack/xnnpack_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <thread>

#include "model/graph_builder.h"
#include "model/model_loader.h"
#include "model/tiny_models.h"
#include "util/error.h"

namespace fruits::model {
namespace {

std::vector<float> Values(const Tensor& t) { return {t.data(), t.data() + t.size()}; }

Tensor NchwToNhwc(const Tensor& x) {
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  Tensor out({n, h, w, c});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t p = 0; p < h * w; ++p)
        out.data()[(i * h * w + p) * c + k] = x.data()[(i * c + k) * h * w + p];
  return out;
}

LoadedModel Load(const std::string& bytes, const std::string& backend,
                 BackendOptions options = {}) {
  return LoadModel(OnnxModel::Parse(bytes, "test.onnx"),
                   {.backend = backend, .backend_options = options});
}

TEST(XnnpackBackend, IsTheDefaultAndEqualsThePlainReferenceAtEveryBatchSize) {
  // Clip is checked against OpenCV below: TinyNet's weights make a 0.75 clip ill-conditioned.
  for (const TinyNetOptions& form :
       {TinyNetOptions{}, TinyNetOptions{.nhwc = true},
        TinyNetOptions{.identity_and_dropout = true, .constant_node = true},
        TinyNetOptions{.opset = 10}}) {
    SCOPED_TRACE("opset " + std::to_string(form.opset) + (form.nhwc ? ", NHWC" : "") +
                 (form.identity_and_dropout ? ", Identity and Dropout" : ""));
    LoadedModel loaded = Load(TinyNet(form), "auto");
    ASSERT_EQ(loaded.backend->name(), "xnnpack");
    EXPECT_EQ(loaded.backend->input().ToString(), "NHWC [?, 6, 6, 3]");
    EXPECT_EQ(loaded.backend->feature_dim(), 4);
    // 7 is the partial last batch of a run of 32s: its runtime is built once, then reused.
    for (int64_t n : {1, 7, 32, 7, 32}) {
      Tensor images = TinyImages(n, /*nhwc=*/true);
      Tensor features = loaded.backend->Run(images);
      EXPECT_EQ(features.shape(), (std::vector<int64_t>{n, 4}));
      ExpectFeaturesNear(features, TinyFeatures(images, true, 1e30f));
    }
  }
}

TEST(XnnpackBackend, TellsWhatTheTranslationDid) {
  LoadedModel loaded = Load(TinyNet({.nhwc = true}), "xnnpack");
  EXPECT_EQ(loaded.rewrites,
            (std::vector<std::string>{
                "activations fused into the operator before them: 1",
                "Transposes that only change how a tensor is seen (no data move): 1"}));
}

TEST(XnnpackBackend, ConcurrentCallersGetTheirOwnResults) {
  LoadedModel loaded = Load(TinyNet(), "xnnpack", {.threads = 2, .concurrent_runs = 3});
  std::vector<std::thread> callers;
  std::vector<int> failures(4, 0);
  // Relative to the largest feature of the batch, as ExpectFeaturesNear, counted rather than
  // asserted because gtest assertions are not for other threads.
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        const int64_t n = 1 + (t * 5 + round) % 9;
        Tensor images = TinyImages(n, true);
        std::vector<float> expected = TinyFeatures(images, true, 1e30f);
        Tensor features = loaded.backend->Run(images);
        float largest = 0;
        for (float v : expected) largest = std::max(largest, std::abs(v));
        for (size_t i = 0; i < expected.size(); ++i) {
          failures[t] += std::abs(features.data()[i] - expected[i]) > 1e-5f * largest;
        }
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

// Conv + BatchNormalization + ReLU6, depthwise + BatchNormalization, squeeze-and-excitation,
// a residual Add, max and average pooling, a per-channel affine, then a Gemm: every
// translation path, checked against OpenCV on the same graph.
std::string EveryPathNet() {
  GraphBuilder b(13);
  auto ramp = [](size_t n, float scale, float offset) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.37f * i + offset);
    return v;
  };
  auto bn = [&](const std::string& x, const std::string& name, int64_t c) {
    std::vector<float> var = ramp(c, 0.2f, 1);
    for (float& v : var) v += 0.5f;
    b.Initializer(name + ".s", {c}, ramp(c, 0.5f, 2));
    b.Initializer(name + ".b", {c}, ramp(c, 0.1f, 3));
    b.Initializer(name + ".m", {c}, ramp(c, 0.1f, 4));
    b.Initializer(name + ".v", {c}, var);
    return b.Node("BatchNormalization", {x, name + ".s", name + ".b", name + ".m", name + ".v"},
                  name);
  };
  std::string x = b.Input("image", {-1, 3, 9, 9});
  b.Initializer("c1.w", {8, 3, 3, 3}, ramp(8 * 27, 0.3f, 0));
  x = b.Node("Conv", {x, "c1.w"}, "c1",
             {{"kernel_shape", std::vector<int64_t>{3, 3}},
              {"pads", std::vector<int64_t>{1, 1, 1, 1}},
              {"strides", std::vector<int64_t>{2, 2}}});
  x = bn(x, "bn1", 8);
  b.Initializer("six.lo", {}, {0});
  b.Initializer("six.hi", {}, {6});
  const std::string block_in = b.Node("Clip", {x, "six.lo", "six.hi"}, "relu6");
  b.Initializer("dw.w", {8, 1, 3, 3}, ramp(72, 0.4f, 5));
  x = b.Node("Conv", {block_in, "dw.w"}, "dw",
             {{"kernel_shape", std::vector<int64_t>{3, 3}},
              {"pads", std::vector<int64_t>{1, 1, 1, 1}},
              {"group", int64_t{8}}});
  x = bn(x, "bn2", 8);
  const std::string gate_in = b.Node("GlobalAveragePool", {x}, "se.pool");
  const std::string gate = b.Node("Sigmoid", {gate_in}, "se.gate");
  x = b.Node("Mul", {x, gate}, "se.mul");
  x = b.Node("Add", {x, block_in}, "residual");
  x = b.Node("Relu", {x}, "residual.relu");
  x = bn(x, "affine", 8);
  x = b.Node(
      "MaxPool", {x}, "maxpool",
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{1, 1}}});
  x = b.Node(
      "AveragePool", {x}, "avgpool",
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  x = b.Node("GlobalAveragePool", {x}, "pool");
  x = b.Node("Flatten", {x}, "features", {{"axis", int64_t{1}}});
  b.Initializer("fc.w", {5, 8}, ramp(40, 1, 6));
  b.Initializer("fc.b", {5}, ramp(5, 1, 7));
  x = b.Node("Gemm", {x, "fc.w", "fc.b"}, "fc", {{"transB", int64_t{1}}});
  b.Output(x, {-1, 5});
  return b.Serialize();
}

Tensor Images(int64_t n, const std::vector<int64_t>& chw) {
  Tensor images({n, chw[0], chw[1], chw[2]});
  for (size_t i = 0; i < images.size(); ++i) images.data()[i] = std::cos(0.11f * i * i + i);
  return images;
}

TEST(XnnpackBackend, AgreesWithOpenCvOnEveryTranslationPath) {
  // The tensor after the Gemm is the output; cutting keeps the Gemm's input: name the output.
  const std::string model = EveryPathNet();
  auto load = [&](const std::string& backend) {
    return LoadModel(OnnxModel::Parse(model, "every.onnx"),
                     {.feature_layer = "fc", .backend = backend});
  };
  LoadedModel xnn = load("xnnpack");
  LoadedModel cv = load("opencv");
  EXPECT_EQ(xnn.rewrites,
            (std::vector<std::string>{"BatchNormalization folded into the Conv before it: 2",
                                      "activations fused into the operator before them: 2"}));
  for (int64_t n : {1, 7, 32}) {
    Tensor images = Images(n, {3, 9, 9});
    ExpectFeaturesNear(xnn.backend->Run(NchwToNhwc(images)), Values(cv.backend->Run(images)));
  }
}

// x.view(x.size(0), -1) before opset 11: the Concat computes a shape, not data, and is not run.
TEST(XnnpackBackend, RunsABatchViewWithoutItsShapeComputation) {
  LoadedModel loaded = Load(BatchViewNet(3, 1, 1), "auto");
  ASSERT_EQ(loaded.backend->name(), "xnnpack");
  Tensor images({4, 1, 1, 3});
  for (size_t i = 0; i < images.size(); ++i) images.data()[i] = std::cos(1.3f * i);
  Tensor features = loaded.backend->Run(images);
  ASSERT_EQ(features.shape(), (std::vector<int64_t>{4, 3}));
  for (size_t i = 0; i < images.size(); ++i) {
    EXPECT_EQ(features.data()[i], std::max(0.0f, images.data()[i])) << i;
  }
}

// A one-activation net ([N, 3, 1, 1] -> `op` -> Flatten) loaded with --backend auto runs on
// XNNPACK, and on inputs amplitude * cos(1.3 i) gives expected(x) within `tolerance`. `alpha`:
// the node's attribute, or none for its default.
void ExpectActivationOnXnnpack(const std::string& op, std::optional<float> alpha, float amplitude,
                               const std::function<float(float)>& expected, float tolerance) {
  SCOPED_TRACE(op + " alpha " + (alpha ? std::to_string(*alpha) : "default"));
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 1, 1});
  std::vector<Attribute> attributes;
  if (alpha) attributes.push_back({"alpha", *alpha});
  b.Node(op, {"x"}, "activated", attributes);
  b.Node("Flatten", {"activated"}, "features");
  b.Output("features", {-1, 3});
  LoadedModel loaded = Load(b.Serialize(), "auto");
  ASSERT_EQ(loaded.backend->name(), "xnnpack");
  Tensor images({4, 1, 1, 3});
  for (size_t i = 0; i < images.size(); ++i) images.data()[i] = amplitude * std::cos(1.3f * i);
  Tensor features = loaded.backend->Run(images);
  for (size_t i = 0; i < images.size(); ++i) {
    EXPECT_NEAR(features.data()[i], expected(images.data()[i]), tolerance) << i;
  }
}

// HardSigmoid, which XNNPACK has no operator for, runs as a multiply, an add and a clamp:
// clamp(alpha * x + beta, 0, 1), with MobileNetV3's alpha = 1/6 and the default 0.2.
TEST(XnnpackBackend, RunsHardSigmoidAsClampOfAScaledShift) {
  ExpectActivationOnXnnpack(
      "HardSigmoid", 1.0f / 6, 5, [](float x) { return std::clamp(x / 6 + 0.5f, 0.0f, 1.0f); },
      1e-6f);
  ExpectActivationOnXnnpack(
      "HardSigmoid", std::nullopt, 5,
      [](float x) { return std::clamp(0.2f * x + 0.5f, 0.0f, 1.0f); }, 1e-6f);
}

// LeakyRelu and Elu run as XNNPACK's own operators, with ONNX's alpha or its default.
TEST(XnnpackBackend, RunsLeakyReluAndEluWithTheirAlpha) {
  ExpectActivationOnXnnpack(
      "LeakyRelu", 0.1f, 3, [](float x) { return x < 0 ? 0.1f * x : x; }, 1e-5f);
  ExpectActivationOnXnnpack(
      "LeakyRelu", std::nullopt, 3, [](float x) { return x < 0 ? 0.01f * x : x; }, 1e-5f);
  ExpectActivationOnXnnpack(
      "Elu", 0.5f, 3, [](float x) { return x < 0 ? 0.5f * std::expm1(x) : x; }, 1e-5f);
  ExpectActivationOnXnnpack(
      "Elu", std::nullopt, 3, [](float x) { return x < 0 ? std::expm1(x) : x; }, 1e-5f);
}

// Found by fuzz/onnx_fuzzer: the ONNX checker accepts BatchNormalization parameters of different
// lengths, and the translation read each one as far as the scale's length.
TEST(XnnpackBackend, RefusesBatchNormParametersThatAreNotOneValuePerChannel) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Initializer("scale", {6}, {1, 2, 3, 4, 5, 6});
  b.Initializer("shift", {3}, {0, 0, 0});
  b.Initializer("mean", {3}, {0, 0, 0});
  b.Initializer("var", {3}, {1, 1, 1});
  b.Node("BatchNormalization", {"x", "scale", "shift", "mean", "var"}, "bn");
  b.Node("GlobalAveragePool", {"bn"}, "pooled");
  b.Node("Flatten", {"pooled"}, "features");
  b.Output("features", {-1, 3});
  auto refusal =
      XnnpackBackendEntry().prepare(OnnxModel::Parse(b.Serialize(), "bn.onnx"))->Refusal();
  ASSERT_TRUE(refusal.has_value());
  EXPECT_THAT(*refusal, testing::StartsWith("operator BatchNormalization (node 'bn') with "
                                            "parameters that do not match the channels of"));
}

// Found by fuzz/onnx_fuzzer: an empty Clip bound made the translation throw std::out_of_range.
TEST(XnnpackBackend, RefusesClipBoundsThatAreNotOneValue) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Initializer("low", {}, {0});
  b.Initializer("high", {0}, {});
  b.Node("Clip", {"x", "low", "high"}, "act");
  b.Node("GlobalAveragePool", {"act"}, "pooled");
  b.Node("Flatten", {"pooled"}, "features");
  b.Output("features", {-1, 3});
  auto refusal =
      XnnpackBackendEntry().prepare(OnnxModel::Parse(b.Serialize(), "clip.onnx"))->Refusal();
  ASSERT_TRUE(refusal.has_value());
  EXPECT_THAT(*refusal, testing::StartsWith("operator Clip (node 'act') takes 0 values as input 2 "
                                            "where one belongs"));
}

TEST(XnnpackBackend, RefusesAnOperatorItLacksNamingTheOperatorAndTheNode) {
  auto refusal = XnnpackBackendEntry().prepare(OnnxModel::Parse(LrnNet(), "lrn.onnx"))->Refusal();
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(*refusal, "operator LRN (node 'joined') is not supported by the XNNPACK backend");
  try {
    Load(LrnNet(), "xnnpack");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run on the xnnpack backend: operator LRN "
                                         "(node 'joined')"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace fruits::model
