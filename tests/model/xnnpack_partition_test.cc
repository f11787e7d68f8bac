// Partitioned execution in the XNNPACK backend: graphs with operators Debian's XNNPACK lacks
// (Concat, a Flatten of a feature map, Split, ReduceMean over channels, Erf, Tanh, LayerNorm)
// run as XNNPACK subgraphs with our kernels between them, and give OpenCV's numbers or, where
// OpenCV 4.6 cannot run the graph, a plain reference computed here.

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "model/graph_builder.h"
#include "model/model_loader.h"
#include "model/tiny_models.h"

namespace fruits::model {
namespace {

std::vector<float> Values(const Tensor& t) { return {t.data(), t.data() + t.size()}; }

// [n, c, h, w] images and the same images NHWC, what the XNNPACK backend reads.
struct Images {
  Tensor nchw;
  Tensor nhwc;
};

Images MakeImages(int64_t n, int64_t c, int64_t h, int64_t w) {
  Images images{Tensor({n, c, h, w}), Tensor({n, h, w, c})};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t p = 0; p < h * w; ++p) {
        const int64_t at = (i * c + k) * h * w + p;
        const float v = std::cos(0.37f * static_cast<float>(at * at % 101) + 0.5f * k);
        images.nchw.data()[at] = v;
        images.nhwc.data()[(i * h * w + p) * c + k] = v;
      }
  return images;
}

LoadedModel Load(const std::string& model, const std::string& backend) {
  return LoadModel(OnnxModel::Parse(model, "partitioned.onnx"), {.backend = backend});
}

std::vector<float> Ramp(size_t n, float scale, float offset) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.37f * i + offset);
  return v;
}

std::string Conv3x3(GraphBuilder& b, const std::string& x, const std::string& name, int64_t in,
                    int64_t out) {
  b.Initializer(name + ".w", {out, in, 3, 3}, Ramp(out * in * 9, 0.3f, float(out)));
  b.Initializer(name + ".b", {out}, Ramp(out, 0.1f, 1));
  return b.Node(
      "Conv", {x, name + ".w", name + ".b"}, name,
      {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
}

// An Inception/DenseNet-like net: branches joined by Concat, a tensor read again three
// subgraphs later (its buffer must outlive the ones between), and a Flatten of a 3x3 feature map
// (NCHW order, so the channels-last data are transposed first) into a Gemm.
std::string BranchesNet() {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 6, 6});
  const std::string stem = b.Node("Relu", {Conv3x3(b, "x", "stem", 3, 4)}, "stem.relu");
  const std::string a = b.Node("Relu", {Conv3x3(b, stem, "a", 4, 3)}, "a.relu");
  const std::string c = b.Node("Sigmoid", {Conv3x3(b, stem, "c", 4, 2)}, "c.sig");
  const std::string joined = b.Node("Concat", {a, c}, "joined", {{"axis", int64_t{1}}});
  const std::string d = b.Node("Relu", {Conv3x3(b, joined, "d", 5, 4)}, "d.relu");
  const std::string dense = b.Node("Concat", {stem, d, joined}, "dense", {{"axis", int64_t{1}}});
  const std::string pooled = b.Node(
      "MaxPool", {dense}, "pool",
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  const std::string flat = b.Node("Flatten", {pooled}, "flat");
  b.Initializer("fc.w", {7, 13 * 9}, Ramp(7 * 13 * 9, 0.2f, 3));
  b.Initializer("fc.b", {7}, Ramp(7, 0.1f, 4));
  b.Node("Gemm", {flat, "fc.w", "fc.b"}, "features", {{"transB", int64_t{1}}});
  b.Output("features", {-1, 7});
  return b.Serialize();
}

TEST(XnnpackPartition, ConcatAndAFeatureMapFlattenEqualOpenCv) {
  LoadedModel xnnpack = Load(BranchesNet(), "auto");
  LoadedModel opencv = Load(BranchesNet(), "opencv");
  ASSERT_EQ(xnnpack.backend->name(), "xnnpack");
  EXPECT_EQ(xnnpack.rewrites,
            (std::vector<std::string>{
                "activations fused into the operator before them: 3",
                "tensors copied into another layout: 1",
                "XNNPACK subgraphs, with our own kernels between them: 4",
                "outside XNNPACK, our Concat kernel: 2 nodes (Concat 'joined', Concat 'dense')",
                "outside XNNPACK, our Transpose kernel: 1 node (Flatten 'flat' (its input's "
                "layout))"}));
  for (int64_t n : {1, 5, 32, 5}) {
    SCOPED_TRACE("batch " + std::to_string(n));
    const Images images = MakeImages(n, 3, 6, 6);
    ExpectFeaturesNear(xnnpack.backend->Run(images.nhwc), Values(opencv.backend->Run(images.nchw)));
  }
  const double outside = xnnpack.backend->share_outside_engine();
  EXPECT_GT(outside, 0);
  EXPECT_LT(outside, 1);
}

TEST(XnnpackPartition, AGraphWithinXnnpackSpendsNoTimeOutside) {
  LoadedModel loaded = Load(TinyNet(), "xnnpack");
  loaded.backend->Run(MakeImages(2, 3, 6, 6).nhwc);
  EXPECT_EQ(loaded.backend->share_outside_engine(), 0);
}

// Split into two channel groups, joined back swapped, then pooled: the features are the
// per-channel means in the swapped order.
TEST(XnnpackPartition, SplitAndConcatMoveChannels) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Int64Initializer("sizes", {2}, {1, 2});
  b.Node("Split", {"x", "sizes"}, "low", {{"axis", int64_t{1}}});
  b.mutable_proto().mutable_graph()->mutable_node()->rbegin()->add_output("high");
  b.Node("Concat", {"high", "low"}, "swapped", {{"axis", int64_t{1}}});
  b.Node("GlobalAveragePool", {"swapped"}, "pooled");
  b.Node("Flatten", {"pooled"}, "features");
  b.Output("features", {-1, 3});
  LoadedModel loaded = Load(b.Serialize(), "auto");
  ASSERT_EQ(loaded.backend->name(), "xnnpack");
  const Images images = MakeImages(3, 3, 4, 4);
  const Tensor features = loaded.backend->Run(images.nhwc);
  const int order[3] = {1, 2, 0};
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t k = 0; k < 3; ++k) {
      double mean = 0;
      for (int64_t p = 0; p < 16; ++p) mean += images.nchw.data()[(i * 3 + order[k]) * 16 + p];
      EXPECT_NEAR(features.data()[i * 3 + k], mean / 16, 1e-6) << i << " " << k;
    }
}

// ConvNeXt's LayerNorm2d at opsets 11 to 16: permute to channels last, normalise each pixel
// over its channels with ReduceMean, Sub, Pow, Sqrt and Div, permute back; then pooled. The
// permutes move no data; the two ReduceMeans are our kernel.
std::string DecomposedLayerNormNet() {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("Transpose", {"x"}, "nhwc", {{"perm", std::vector<int64_t>{0, 2, 3, 1}}});
  b.Node("ReduceMean", {"nhwc"}, "mean", {{"axes", std::vector<int64_t>{-1}}});
  b.Node("Sub", {"nhwc", "mean"}, "centred");
  b.Initializer("two", {}, {2});
  b.Node("Pow", {"centred", "two"}, "squared");
  b.Node("ReduceMean", {"squared"}, "var", {{"axes", std::vector<int64_t>{-1}}});
  b.Initializer("eps", {}, {1e-6f});
  b.Node("Add", {"var", "eps"}, "var.eps");
  b.Node("Sqrt", {"var.eps"}, "std");
  b.Node("Div", {"centred", "std"}, "normed");
  b.Initializer("gamma", {3}, {2, 0.5f, -1});
  b.Node("Mul", {"normed", "gamma"}, "multiplied");
  b.Initializer("beta", {3}, {0.25f, 0, -0.5f});
  b.Node("Add", {"multiplied", "beta"}, "scaled");
  b.Node("Transpose", {"scaled"}, "nchw", {{"perm", std::vector<int64_t>{0, 3, 1, 2}}});
  b.Node("GlobalAveragePool", {"nchw"}, "pooled");
  b.Node("Flatten", {"pooled"}, "features");
  b.Output("features", {-1, 3});
  return b.Serialize();
}

// The same normalisation as one LayerNormalization node (opset 17).
std::string LayerNormalizationNet() {
  GraphBuilder b(17);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("Transpose", {"x"}, "nhwc", {{"perm", std::vector<int64_t>{0, 2, 3, 1}}});
  b.Initializer("gamma", {3}, {2, 0.5f, -1});
  b.Initializer("beta", {3}, {0.25f, 0, -0.5f});
  b.Node("LayerNormalization", {"nhwc", "gamma", "beta"}, "scaled",
         {{"axis", int64_t{-1}}, {"epsilon", 1e-6f}});
  b.Node("Transpose", {"scaled"}, "nchw", {{"perm", std::vector<int64_t>{0, 3, 1, 2}}});
  b.Node("GlobalAveragePool", {"nchw"}, "pooled");
  b.Node("Flatten", {"pooled"}, "features");
  b.Output("features", {-1, 3});
  return b.Serialize();
}

std::vector<float> LayerNormReference(const Tensor& nchw) {
  const int64_t n = nchw.dim(0), c = 3, hw = 16;
  const double gamma[3] = {2, 0.5, -1}, beta[3] = {0.25, 0, -0.5};
  std::vector<float> out(n * c, 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < hw; ++p) {
      double mean = 0, var = 0;
      for (int64_t k = 0; k < c; ++k) mean += nchw.data()[(i * c + k) * hw + p] / double(c);
      for (int64_t k = 0; k < c; ++k) {
        const double d = nchw.data()[(i * c + k) * hw + p] - mean;
        var += d * d / c;
      }
      for (int64_t k = 0; k < c; ++k) {
        const double d = nchw.data()[(i * c + k) * hw + p] - mean;
        out[i * c + k] += static_cast<float>((d / std::sqrt(var + 1e-6) * gamma[k] + beta[k]) / hw);
      }
    }
  return out;
}

TEST(XnnpackPartition, LayerNormOverChannelsEqualsAPlainReference) {
  for (const std::string& model : {DecomposedLayerNormNet(), LayerNormalizationNet()}) {
    LoadedModel loaded = Load(model, "auto");
    ASSERT_EQ(loaded.backend->name(), "xnnpack");
    EXPECT_EQ(loaded.rewrites.front(),
              "Transposes that only change how a tensor is seen (no data move): 2");
    const Images images = MakeImages(6, 3, 4, 4);
    ExpectFeaturesNear(loaded.backend->Run(images.nhwc), LayerNormReference(images.nchw));
  }
}

// Resize of a [N, 3, 2, 3] image to 4 x 6, then flattened: torch's nearest upsampling by scales
// (asymmetric, floor) and its bilinear by sizes (pytorch_half_pixel), against the ONNX formulas
// computed here.
std::string ResizeNet(const std::string& mode, const std::string& coordinates, bool by_sizes) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 2, 3});
  b.Initializer("roi", {0}, {});
  if (by_sizes) {
    b.Initializer("scales", {0}, {});
    b.Int64Initializer("sizes", {4}, {1, 3, 4, 6});
  } else {
    b.Initializer("scales", {4}, {1, 1, 2, 2});
  }
  std::vector<std::string> inputs = {"x", "roi", "scales"};
  if (by_sizes) inputs.push_back("sizes");
  std::vector<Attribute> attributes = {{"mode", mode},
                                       {"coordinate_transformation_mode", coordinates}};
  if (mode == "nearest") attributes.push_back({"nearest_mode", std::string("floor")});
  b.Node("Resize", inputs, "resized", attributes);
  b.Node("Flatten", {"resized"}, "features");
  b.Output("features", {-1, 72});
  return b.Serialize();
}

// ONNX's source coordinate of output pixel `x` for a 2x resize: nearest (asymmetric, floor) or
// linear (pytorch_half_pixel), as the two source pixels and the second one's weight.
struct Source {
  int64_t first, second;
  double weight;
};
Source SourceOf(int64_t x, int64_t length, bool linear) {
  if (!linear) return {x / 2, x / 2, 0};
  const double at = std::clamp((x + 0.5) / 2 - 0.5, 0.0, double(length - 1));
  const int64_t first = static_cast<int64_t>(std::floor(at));
  return {first, std::min(first + 1, length - 1), at - first};
}

TEST(XnnpackPartition, ResizeNearestAndBilinearFollowTheOnnxFormulas) {
  for (const bool linear : {false, true}) {
    SCOPED_TRACE(linear ? "linear" : "nearest");
    LoadedModel loaded = Load(linear ? ResizeNet("linear", "pytorch_half_pixel", true)
                                     : ResizeNet("nearest", "asymmetric", false),
                              "auto");
    ASSERT_EQ(loaded.backend->name(), "xnnpack");
    const Images images = MakeImages(2, 3, 2, 3);
    const Tensor features = loaded.backend->Run(images.nhwc);
    std::vector<float> expected;
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t y = 0; y < 4; ++y)
          for (int64_t x = 0; x < 6; ++x) {
            const Source sy = SourceOf(y, 2, linear), sx = SourceOf(x, 3, linear);
            auto at = [&](int64_t yy, int64_t xx) {
              return double(images.nchw.data()[((i * 3 + c) * 2 + yy) * 3 + xx]);
            };
            const double top =
                at(sy.first, sx.first) * (1 - sx.weight) + at(sy.first, sx.second) * sx.weight;
            const double bottom =
                at(sy.second, sx.first) * (1 - sx.weight) + at(sy.second, sx.second) * sx.weight;
            expected.push_back(static_cast<float>(top * (1 - sy.weight) + bottom * sy.weight));
          }
    ExpectFeaturesNear(features, expected);
  }
}

// Erf (in GELU) and Tanh are our kernels: within 1e-6 of the C library on [-4, 4].
TEST(XnnpackPartition, ErfAndTanhEqualTheCLibrary) {
  for (const auto& [op, expected] :
       std::vector<std::pair<std::string, std::function<double(double)>>>{
           {"Erf", [](double x) { return std::erf(x); }},
           {"Tanh", [](double x) { return std::tanh(x); }}}) {
    SCOPED_TRACE(op);
    GraphBuilder b(13);
    b.Input("x", {-1, 3, 1, 1});
    b.Node(op, {"x"}, "activated");
    b.Node("Flatten", {"activated"}, "features");
    b.Output("features", {-1, 3});
    LoadedModel loaded = Load(b.Serialize(), "auto");
    ASSERT_EQ(loaded.backend->name(), "xnnpack");
    Tensor images({50, 1, 1, 3});
    for (size_t i = 0; i < images.size(); ++i) images.data()[i] = 4 * std::cos(1.3f * i);
    const Tensor features = loaded.backend->Run(images);
    for (size_t i = 0; i < images.size(); ++i) {
      EXPECT_NEAR(features.data()[i], expected(images.data()[i]), 1e-6) << images.data()[i];
    }
  }
}

}  // namespace
}  // namespace fruits::model
