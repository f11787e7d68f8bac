// The translation of ONNX graphs for XNNPACK: graphs that pass the ONNX checker but are
// malformed for their operators are refused with a message naming the node, never answered
// with a standard-library exception or a crash.

#include "model/xnnpack/xnnpack_translator.h"

#include <gtest/gtest.h>

#include "model/model_loader.h"
#include "model/tiny_models.h"
#include "util/error.h"

namespace fruits::model {
namespace {

// [N, 3, 4, 4] -> `middle` (which reads "x" and writes "y") -> GlobalAveragePool -> Flatten.
template <typename Middle>
std::string Around(Middle middle) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  middle(b);
  b.Node("GlobalAveragePool", {"y"}, "pooled");
  b.Node("Flatten", {"pooled"}, "features");
  b.Output("features", {-1, 3});
  return b.Serialize();
}

struct Malformed {
  std::string name;
  std::string model;
  std::string refusal;
};

std::vector<Malformed> MalformedGraphs() {
  return {
      {"Clip with an empty minimum", Around([](GraphBuilder& b) {
         b.Initializer("lo", {0}, {});
         b.Node("Clip", {"x", "lo"}, "y");
       }),
       "operator Clip (node 'y') takes 0 values as input 1 where one belongs"},
      {"Pad with an empty value", Around([](GraphBuilder& b) {
         b.Int64Initializer("pads", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
         b.Initializer("value", {0}, {});
         b.Node("Pad", {"x", "pads", "value"}, "y");
       }),
       "operator Pad (node 'y') takes 0 values as input 2 where one belongs"},
      {"BatchNormalization with too few means", Around([](GraphBuilder& b) {
         b.Initializer("s", {3}, {1, 1, 1});
         b.Initializer("b", {3}, {0, 0, 0});
         b.Initializer("m", {1}, {0});
         b.Initializer("v", {3}, {1, 1, 1});
         b.Node("Relu", {"x"}, "r");
         b.Node("BatchNormalization", {"r", "s", "b", "m", "v"}, "y");
       }),
       "operator BatchNormalization (node 'y') with parameters that do not match the channels "
       "of [1, 3, 4, 4]"},
      // Found by fuzz_onnx: XNNPACK was asked for a tensor of a negative width.
      {"MaxPool wider than the image", Around([](GraphBuilder& b) {
         b.Node("MaxPool", {"x"}, "y", {{"kernel_shape", std::vector<int64_t>{2, 34}}});
       }),
       "operator MaxPool (node 'y') with a window of 34 on [1, 3, 4, 4]"},
      {"Conv strides beyond any image", Around([](GraphBuilder& b) {
         b.Initializer("w", {3, 1, 1, 1}, {1, 1, 1});
         b.Node("Conv", {"x", "w"}, "y",
                {{"group", int64_t{3}}, {"strides", std::vector<int64_t>{1, int64_t{1} << 33}}});
       }),
       "operator Conv (node 'y') with kernel [1, 1], strides [1, 8589934592]"},
      // Found by fuzz_onnx: NaN, or a float too large for an int, read as a zero point.
      {"QuantizeLinear with a float zero point", Around([](GraphBuilder& b) {
         b.Initializer("s", {}, {0.1f});
         b.Initializer("z", {}, {std::nanf("")});
         b.Node("QuantizeLinear", {"x", "s", "z"}, "q");
         b.Node("DequantizeLinear", {"q", "s", "z"}, "y");
       }),
       "operator QuantizeLinear (node 'q') with a scale per channel, or a zero point neither int8 "
       "nor uint8"},
      // Found by fuzz_onnx: the open channel count made a buffer of 2^64 - 1 floats.
      {"an open channel count",
       [] {
         GraphBuilder b(13);
         b.Input("x", {1, -1, 4, 4});
         b.Node("GlobalAveragePool", {"x"}, "pooled");
         b.Node("Flatten", {"pooled"}, "features");
         b.Output("features", {1, -1});
         return b.Serialize();
       }(),
       "input 'x' NCHW [?, ?, 4, 4] has open dimensions"},
  };
}

TEST(XnnpackTranslator, MalformedGraphsAreRefusedNamingTheNode) {
  for (const Malformed& graph : MalformedGraphs()) {
    SCOPED_TRACE(graph.name);
    const OnnxModel model = OnnxModel::Parse(graph.model, "malformed.onnx");
    xnn::Translation translation;
    ASSERT_NO_THROW(translation = xnn::Translate(model));
    EXPECT_FALSE(translation.plan.has_value());
    EXPECT_EQ(translation.refusal.rfind(graph.refusal, 0), 0u) << translation.refusal;
  }
}

TEST(XnnpackTranslator, LoadingAMalformedGraphOnXnnpackIsAFruitsError) {
  for (const Malformed& graph : MalformedGraphs()) {
    SCOPED_TRACE(graph.name);
    EXPECT_THROW(LoadModel(OnnxModel::Parse(graph.model, "malformed.onnx"),
                           {.feature_layer = "features", .backend = "xnnpack"}),
                 Error);
  }
}

}  // namespace
}  // namespace fruits::model
