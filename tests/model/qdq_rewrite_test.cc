// PlanQuantization and InsertQdq on small models built in code: which nodes run in int8 and which
// stay float, where the QuantizeLinear/DequantizeLinear pairs go and who reads them, the int8
// weights and int32 biases against values computed here, and the file as a whole (the ONNX
// checker, opset, metadata, determinism).

#include "model/quantization/qdq_rewrite.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "model/graph_builder.h"
#include "model/graph_edit.h"
#include "tiny_models.h"
#include "util/error.h"

namespace fruits::model::quantization {
namespace {

using Strings = std::vector<std::string>;

// The same parameters for every tensor of the plan except those named.
std::map<std::string, ActivationQuantization> Parameters(
    const QuantizationPlan& plan, std::map<std::string, ActivationQuantization> special = {}) {
  std::map<std::string, ActivationQuantization> parameters;
  for (const auto& tensor : plan.tensors) {
    parameters[tensor] =
        special.count(tensor) ? special[tensor] : ActivationQuantization{0.05f, -3};
  }
  return parameters;
}

OnnxModel Quantize(const std::string& bytes, const std::string& feature, QuantizationPlan* plan_out,
                   std::map<std::string, ActivationQuantization> special = {}) {
  OnnxModel model = OnnxModel::Parse(bytes, "test.onnx");
  const QuantizationPlan plan = PlanQuantization(model, feature);
  InsertQdq(model, plan, Parameters(plan, std::move(special)), "minmax on 3 images");
  if (plan_out != nullptr) *plan_out = plan;
  return model;
}

const onnx::NodeProto& NodeWithOutput(const onnx::GraphProto& graph, const std::string& output) {
  for (const auto& node : graph.node()) {
    if (node.output_size() > 0 && node.output(0) == output) return node;
  }
  throw std::runtime_error("no node writes " + output);
}

Strings InputsOf(const onnx::NodeProto& node) { return {node.input().begin(), node.input().end()}; }

template <typename T>
std::vector<T> RawValues(const onnx::GraphProto& graph, const std::string& name) {
  const onnx::TensorProto* tensor = graph::FindInitializer(graph, name);
  if (tensor == nullptr) throw std::runtime_error("no initializer " + name);
  std::vector<T> values(tensor->raw_data().size() / sizeof(T));
  std::memcpy(values.data(), tensor->raw_data().data(), values.size() * sizeof(T));
  return values;
}

int CountOps(const onnx::GraphProto& graph, const std::string& op) {
  int count = 0;
  for (const auto& node : graph.node()) count += node.op_type() == op ? 1 : 0;
  return count;
}

// Conv -> Relu -> GlobalAveragePool -> Flatten "features" -> Gemm -> Softmax (TinyNet).
TEST(PlanQuantizationTest, QuantizesTheBackboneAndListsTheHeadAsFloat) {
  const OnnxModel model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  const QuantizationPlan plan = PlanQuantization(model, "features");
  EXPECT_EQ(plan.tensors, (Strings{"image", "act", "pool"}));
  EXPECT_EQ(plan.quantized_nodes,
            (Strings{"Conv 'conv'", "Relu 'act'", "GlobalAveragePool 'pool'"}));
  EXPECT_EQ(plan.float_nodes, (Strings{"Gemm 'logits'", "Softmax 'probabilities'"}));
}

TEST(PlanQuantizationTest, ClipWithConstantBoundsTakesThePairLikeRelu) {
  TinyNetOptions options;
  options.clip_with_inputs = true;
  const OnnxModel model = OnnxModel::Parse(TinyNet(options), "tiny.onnx");
  EXPECT_EQ(PlanQuantization(model, "features").tensors, (Strings{"image", "act", "pool"}));
}

TEST(PlanQuantizationTest, RefusesAMissingFeatureTensor) {
  const OnnxModel model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  EXPECT_THROW(PlanQuantization(model, "no_such_tensor"), Error);
}

// Conv -> HardSwish -> Conv -> Sigmoid -> GlobalAveragePool -> Flatten: the activations
// without an int8 form stay float between two quantized convolutions.
std::string HardSwishNet() {
  GraphBuilder b(14);
  b.Input("image", {1, 3, 6, 6});
  std::vector<float> w1(4 * 3 * 9), w2(4 * 4);
  for (size_t i = 0; i < w1.size(); ++i) w1[i] = static_cast<float>(int(i % 7) - 3) / 4;
  for (size_t i = 0; i < w2.size(); ++i) w2[i] = static_cast<float>(int(i % 5) - 2) / 2;
  b.Initializer("w1", {4, 3, 3, 3}, w1);
  b.Initializer("w2", {4, 4, 1, 1}, w2);
  b.Node(
      "Conv", {"image", "w1"}, "conv1",
      {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  b.Node("HardSwish", {"conv1"}, "hs");
  b.Node("Conv", {"hs", "w2"}, "conv2", {{"kernel_shape", std::vector<int64_t>{1, 1}}});
  b.Node("Sigmoid", {"conv2"}, "sig");
  b.Node("GlobalAveragePool", {"sig"}, "pool");
  b.Node("Flatten", {"pool"}, "features");
  b.Output("features", {1, 4});
  return b.Serialize();
}

TEST(PlanQuantizationTest, BackboneOperatorsWithoutInt8FormStayFloat) {
  const OnnxModel model = OnnxModel::Parse(HardSwishNet(), "hs.onnx");
  const QuantizationPlan plan = PlanQuantization(model, "features");
  EXPECT_EQ(plan.tensors, (Strings{"image", "conv1", "hs", "conv2", "sig", "pool"}));
  EXPECT_EQ(plan.quantized_nodes,
            (Strings{"Conv 'conv1'", "Conv 'conv2'", "GlobalAveragePool 'pool'"}));
  EXPECT_EQ(plan.float_nodes, (Strings{"HardSwish 'hs'", "Sigmoid 'sig'"}));

  QuantizationPlan ignored;
  const OnnxModel quantized = Quantize(HardSwishNet(), "features", &ignored);
  const onnx::GraphProto& graph = quantized.proto().graph();
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "hs")), (Strings{"conv1_dequantized"}));
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "sig")), (Strings{"conv2_dequantized"}));
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "conv2")),
            (Strings{"hs_dequantized", "w2_dequantized"}));
}

// [1, 3, 4, 4] -> GlobalAveragePool -> Flatten -> Mul by a constant -> Gemm (transB 0, bias)
// "g1" -> MatMul "m" and Gemm (alpha 0.5, transB 1) "g2" -> Add "features" -> Softmax. The
// features are also a graph output.
std::string DenseNet() {
  GraphBuilder b(13);
  b.Input("x", {1, 3, 4, 4});
  b.Initializer("gain", {3}, {1, 2, 3});
  // Column 0's largest magnitude is 127/64: scale 1/64 exactly, so 0.9765625 is 62.5 steps.
  b.Initializer(
      "g1.weight", {3, 5},
      {0.9765625f, -1, 0, 0.25f, 2, 1.984375f, 0, 0, -0.5f, 1, -0.75f, 0.5f, 0, 0.75f, 1});
  b.Initializer("g1.bias", {5}, {0.1f, -0.2f, 0.3f, 0, 1});
  b.Initializer("m.weight", {5, 4},
                {1, 0, 0, -1, 0.5f, 0.5f, 0, 0, 0, 2, 0, 1, 0, 0, -3, 0.25f, 0, 0, 0, 0.125f});
  std::vector<float> g2(4 * 5);
  for (size_t i = 0; i < g2.size(); ++i) g2[i] = static_cast<float>(int(i % 9) - 4) / 8;
  b.Initializer("g2.weight", {4, 5}, g2);
  b.Node("GlobalAveragePool", {"x"}, "pool");
  b.Node("Flatten", {"pool"}, "flat");
  b.Node("Mul", {"flat", "gain"}, "scaled");
  b.Node("Gemm", {"scaled", "g1.weight", "g1.bias"}, "g1");
  b.Node("MatMul", {"g1", "m.weight"}, "m");
  b.Node("Gemm", {"g1", "g2.weight"}, "g2", {{"transB", int64_t{1}}, {"alpha", 0.5f}});
  b.Node("Add", {"m", "g2"}, "features");
  b.Node("Softmax", {"features"}, "probabilities", {{"axis", int64_t{1}}});
  b.Output("features", {1, 4});
  b.Output("probabilities", {1, 4});
  return b.Serialize();
}

TEST(PlanQuantizationTest, DenseLayersAndTwoInputAdd) {
  const OnnxModel model = OnnxModel::Parse(DenseNet(), "dense.onnx");
  const QuantizationPlan plan = PlanQuantization(model, "features");
  EXPECT_EQ(plan.tensors, (Strings{"x", "pool", "scaled", "g1", "m", "g2", "features"}));
  EXPECT_EQ(plan.quantized_nodes,
            (Strings{"GlobalAveragePool 'pool'", "Gemm 'g1'", "MatMul 'm'", "Add 'features'"}));
  // A Mul by a constant and a Gemm with alpha 0.5 have no int8 form here; Softmax is the head.
  EXPECT_EQ(plan.float_nodes, (Strings{"Mul 'scaled'", "Gemm 'g2'", "Softmax 'probabilities'"}));
}

TEST(InsertQdqTest, DenseWeightsQuantizeAlongTheirOutputAxis) {
  QuantizationPlan plan;
  const OnnxModel model =
      Quantize(DenseNet(), "features", &plan, {{"scaled", ActivationQuantization{0.02f, 5}}});
  const onnx::GraphProto& graph = model.proto().graph();

  // Gemm without transB: B is [K, N], its output channels along axis 1.
  const onnx::NodeProto& g1_weight = NodeWithOutput(graph, "g1.weight_dequantized");
  EXPECT_EQ(graph::Int(g1_weight, "axis", -1), 1);
  const std::vector<float> g1_scales = RawValues<float>(graph, "g1.weight_scale");
  // Column 2 is all zeros: scale 1.
  const std::vector<float> expected_scales = {1.0f / 64, 1.0f / 127, 1, 0.75f / 127, 2.0f / 127};
  ASSERT_EQ(g1_scales.size(), 5u);
  for (size_t c = 0; c < 5; ++c) EXPECT_FLOAT_EQ(g1_scales[c], expected_scales[c]) << c;
  // Row 0 of B: 62.5 steps round half to even, to 62; 0.25 * 127 / 0.75 = 42.33 to 42.
  const std::vector<int8_t> g1_values = RawValues<int8_t>(graph, "g1.weight_quantized");
  EXPECT_EQ(std::vector<int8_t>(g1_values.begin(), g1_values.begin() + 5),
            (std::vector<int8_t>{62, -127, 0, 42, 127}));
  // The bias: int32 with scale s_in * s_w[c], here round(b / (0.02 * s_w[c])).
  const std::vector<int32_t> bias = RawValues<int32_t>(graph, "g1.bias_quantized");
  const std::vector<float> bias_scales = RawValues<float>(graph, "g1.bias_scale");
  const float b[5] = {0.1f, -0.2f, 0.3f, 0, 1};
  for (size_t c = 0; c < 5; ++c) {
    EXPECT_FLOAT_EQ(bias_scales[c], 0.02f * expected_scales[c]) << c;
    EXPECT_EQ(bias[c], std::nearbyint(b[c] / static_cast<double>(bias_scales[c]))) << c;
  }
  EXPECT_EQ(bias[4], 3175);  // 1 / (0.02 * 2 / 127)
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "g1")),
            (Strings{"scaled_dequantized", "g1.weight_dequantized", "g1.bias_dequantized"}));

  // MatMul: B is [K, N], axis 1.
  EXPECT_EQ(graph::Int(NodeWithOutput(graph, "m.weight_dequantized"), "axis", -1), 1);
  const std::vector<float> m_scales = RawValues<float>(graph, "m.weight_scale");
  const std::vector<float> m_largest = {1, 2, 3, 1};
  ASSERT_EQ(m_scales.size(), 4u);
  for (size_t c = 0; c < 4; ++c) EXPECT_FLOAT_EQ(m_scales[c], m_largest[c] / 127) << c;

  // The float Gemm keeps its float weights and reads the dequantized g1.
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "g2")), (Strings{"g1_dequantized", "g2.weight"}));
  EXPECT_EQ(graph::FindInitializer(graph, "g1.weight"), nullptr);
  EXPECT_NE(graph::FindInitializer(graph, "g2.weight"), nullptr);

  // "features" stays a graph output, computed in float by the Add; its reader takes the pair.
  EXPECT_EQ(model.OutputNames(), (Strings{"features", "probabilities"}));
  EXPECT_EQ(NodeWithOutput(graph, "features").op_type(), "Add");
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "features")),
            (Strings{"m_dequantized", "g2_dequantized"}));
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "probabilities")), (Strings{"features_dequantized"}));
}

TEST(InsertQdqTest, TinyNetPairsWeightsBiasAndRelu) {
  QuantizationPlan plan;
  const OnnxModel model =
      Quantize(TinyNet(), "features", &plan, {{"image", ActivationQuantization{1.0f / 128, 0}}});
  const onnx::GraphProto& graph = model.proto().graph();
  EXPECT_GE(model.opset(), 13);
  EXPECT_EQ(CountOps(graph, "QuantizeLinear"), 3);
  EXPECT_EQ(CountOps(graph, "DequantizeLinear"), 5);  // 3 activations, weights, bias

  // The pair of each activation: T -> Q -> T_quantized -> DQ -> T_dequantized, scalar
  // parameters with an int8 zero point.
  const onnx::NodeProto& q = NodeWithOutput(graph, "image_quantized");
  EXPECT_EQ(q.op_type(), "QuantizeLinear");
  EXPECT_EQ(InputsOf(q), (Strings{"image", "image_scale", "image_zero_point"}));
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "image_dequantized")),
            (Strings{"image_quantized", "image_scale", "image_zero_point"}));
  EXPECT_EQ(graph::FindInitializer(graph, "image_zero_point")->data_type(),
            onnx::TensorProto::INT8);
  EXPECT_EQ(RawValues<int8_t>(graph, "act_zero_point"), (std::vector<int8_t>{-3}));
  EXPECT_EQ(RawValues<float>(graph, "act_scale"), (std::vector<float>{0.05f}));

  // Conv reads dequantized input, weights and bias; Relu reads the Conv's float output and
  // carries the pair; the pool reads the Relu's pair, Flatten the pool's.
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "conv")),
            (Strings{"image_dequantized", "conv.weight_dequantized", "conv.bias_dequantized"}));
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "act")), (Strings{"conv"}));
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "pool")), (Strings{"act_dequantized"}));
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "features")), (Strings{"pool_dequantized"}));
  // The head is float as it was.
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "logits")),
            (Strings{"features", "gemm.weight", "gemm.bias"}));

  // Conv weights per output channel (axis 0), against values computed here.
  const std::vector<float> w = TinyConvWeights();
  const std::vector<float> scales = RawValues<float>(graph, "conv.weight_scale");
  const std::vector<int8_t> values = RawValues<int8_t>(graph, "conv.weight_quantized");
  EXPECT_EQ(graph::Int(NodeWithOutput(graph, "conv.weight_dequantized"), "axis", -1), 0);
  EXPECT_EQ(RawValues<int8_t>(graph, "conv.weight_zero_point"), std::vector<int8_t>(4, 0));
  ASSERT_EQ(scales.size(), 4u);
  ASSERT_EQ(values.size(), w.size());
  for (size_t c = 0; c < 4; ++c) {
    float largest = 0;
    for (size_t i = c * 27; i < (c + 1) * 27; ++i) largest = std::max(largest, std::fabs(w[i]));
    EXPECT_FLOAT_EQ(scales[c], largest / 127) << c;
    for (size_t i = c * 27; i < (c + 1) * 27; ++i) {
      EXPECT_EQ(values[i], std::nearbyint(static_cast<double>(w[i]) / scales[c])) << i;
    }
  }
  const float bias[4] = {0.1f, -0.2f, 0.3f, 0};
  const std::vector<int32_t> bias_values = RawValues<int32_t>(graph, "conv.bias_quantized");
  EXPECT_EQ(graph::FindInitializer(graph, "conv.bias_zero_point")->data_type(),
            onnx::TensorProto::INT32);
  for (size_t c = 0; c < 4; ++c) {
    EXPECT_EQ(bias_values[c], std::nearbyint(bias[c] / (scales[c] / 128.0))) << c;
  }

  EXPECT_EQ(model.Metadata("fruits.quantization"), "minmax on 3 images");
  EXPECT_EQ(model.OutputNames(), (Strings{"probabilities"}));
  // The ONNX checker takes the file (topological order, types, per-axis parameters).
  EXPECT_NO_THROW(OnnxModel::Parse(model.Serialize(), "quantized.onnx"));
}

TEST(InsertQdqTest, SharedWeightsAreQuantizedOnce) {
  GraphBuilder b(13);
  b.Input("x", {1, 4, 3, 3});
  std::vector<float> w(16);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(int(i) - 8) / 8;
  b.Initializer("w", {4, 4, 1, 1}, w);
  b.Node("Conv", {"x", "w"}, "c1", {{"kernel_shape", std::vector<int64_t>{1, 1}}});
  b.Node("Conv", {"c1", "w"}, "c2", {{"kernel_shape", std::vector<int64_t>{1, 1}}});
  b.Node("GlobalAveragePool", {"c2"}, "pool");
  b.Node("Flatten", {"pool"}, "features");
  b.Output("features", {1, 4});
  const OnnxModel model = Quantize(b.Serialize(), "features", nullptr);
  const onnx::GraphProto& graph = model.proto().graph();
  EXPECT_EQ(NodeWithOutput(graph, "c1").input(1), "w_dequantized");
  EXPECT_EQ(NodeWithOutput(graph, "c2").input(1), "w_dequantized");
  EXPECT_EQ(CountOps(graph, "DequantizeLinear"), 5);  // x, c1, c2, pool, w
}

TEST(InsertQdqTest, IsQuantizedAndRefusedASecondTime) {
  const OnnxModel float_model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  EXPECT_FALSE(IsQuantized(float_model));
  const OnnxModel model = Quantize(TinyNet(), "features", nullptr);
  EXPECT_TRUE(IsQuantized(model));
  try {
    PlanQuantization(model, "features");
    FAIL() << "no Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already quantized"), std::string::npos) << e.what();
  }
}

TEST(InsertQdqTest, SameInputsGiveTheSameBytes) {
  EXPECT_EQ(Quantize(TinyNet(), "features", nullptr).Serialize(),
            Quantize(TinyNet(), "features", nullptr).Serialize());
  EXPECT_EQ(Quantize(DenseNet(), "features", nullptr).Serialize(),
            Quantize(DenseNet(), "features", nullptr).Serialize());
}

TEST(InsertQdqTest, ConvertsAnOpset11ModelTo13) {
  TinyNetOptions options;
  options.opset = 11;
  options.clip_with_inputs = true;
  const OnnxModel original = OnnxModel::Parse(TinyNet(options), "tiny11.onnx");
  ASSERT_EQ(original.opset(), 11);
  QuantizationPlan plan;
  const OnnxModel model = Quantize(TinyNet(options), "features", &plan);
  EXPECT_EQ(model.opset(), 13);
  EXPECT_EQ(plan.tensors, (Strings{"image", "act", "pool"}));
  const onnx::GraphProto& graph = model.proto().graph();
  EXPECT_EQ(InputsOf(NodeWithOutput(graph, "pool")), (Strings{"act_dequantized"}));
  EXPECT_EQ(NodeWithOutput(graph, "conv").input(1), "conv.weight_dequantized");
  EXPECT_NO_THROW(OnnxModel::Parse(model.Serialize(), "quantized.onnx"));
}

TEST(InsertQdqTest, MissingParametersAreABug) {
  OnnxModel model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  const QuantizationPlan plan = PlanQuantization(model, "features");
  std::map<std::string, ActivationQuantization> parameters = Parameters(plan);
  parameters.erase("act");
  EXPECT_THROW(InsertQdq(model, plan, parameters, ""), InternalError);
}

// [1, 2, 4, 4] -> Conv 1x1 (bias when asked) -> BatchNormalization "bn" -> Relu -> pool.
std::string BatchNormNet(bool conv_bias, bool second_reader) {
  GraphBuilder b(13);
  b.Input("x", {1, 2, 4, 4});
  b.Initializer("w", {3, 2, 1, 1}, {1, -2, 0.5f, 0.25f, -1, 3});
  std::vector<std::string> conv_inputs = {"x", "w"};
  if (conv_bias) conv_inputs.push_back(b.Initializer("b", {3}, {0.5f, -1, 2}));
  b.Node("Conv", conv_inputs, "conv", {{"kernel_shape", std::vector<int64_t>{1, 1}}});
  b.Initializer("gamma", {3}, {2, 0.5f, -1});
  b.Initializer("beta", {3}, {0.1f, 0.2f, 0.3f});
  b.Initializer("mean", {3}, {1, -1, 0.5f});
  b.Initializer("var", {3}, {4, 0.25f, 1});
  b.Node("BatchNormalization", {"conv", "gamma", "beta", "mean", "var"}, "bn", {{"epsilon", 0.0f}});
  std::string activation = b.Node("Relu", {"bn"}, "act");
  if (second_reader) activation = b.Node("Add", {"act", "conv"}, "both");
  b.Node("GlobalAveragePool", {activation}, "pool");
  b.Node("Flatten", {"pool"}, "features");
  b.Output("features", {1, 3});
  return b.Serialize();
}

TEST(FoldBatchNormsTest, FoldsIntoTheConvWhichTakesTheBatchNormOutput) {
  for (bool conv_bias : {true, false}) {
    SCOPED_TRACE(conv_bias ? "conv with bias" : "conv without bias");
    OnnxModel model = OnnxModel::Parse(BatchNormNet(conv_bias, false), "bn.onnx");
    EXPECT_EQ(FoldBatchNorms(model), 1);
    const onnx::GraphProto& graph = model.proto().graph();
    EXPECT_EQ(CountOps(graph, "BatchNormalization"), 0);
    const onnx::NodeProto& conv = NodeWithOutput(graph, "bn");
    EXPECT_EQ(conv.op_type(), "Conv");
    EXPECT_EQ(InputsOf(conv), (Strings{"x", "bn.weight", "bn.bias"}));
    EXPECT_EQ(InputsOf(NodeWithOutput(graph, "act")), (Strings{"bn"}));
    // s = gamma / sqrt(var) = (1, 1, -1); w * s; (b - mean) * s + beta.
    EXPECT_EQ(RawValues<float>(graph, "bn.weight"),
              (std::vector<float>{1, -2, 0.5f, 0.25f, 1, -3}));
    const std::vector<float> bias =
        conv_bias ? std::vector<float>{-0.4f, 0.2f, -1.2f} : std::vector<float>{-0.9f, 1.2f, 0.8f};
    const std::vector<float> folded = RawValues<float>(graph, "bn.bias");
    ASSERT_EQ(folded.size(), 3u);
    for (size_t c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(folded[c], bias[c]) << c;
    for (const char* gone : {"w", "b", "gamma", "beta", "mean", "var"}) {
      EXPECT_EQ(graph::FindInitializer(graph, gone), nullptr) << gone;
    }
    EXPECT_NO_THROW(OnnxModel::Parse(model.Serialize(), "folded.onnx"));
    // The Conv now quantizes with the Relu that follows the batch norm.
    EXPECT_EQ(PlanQuantization(model, "features").quantized_nodes,
              (Strings{"Conv 'conv'", "Relu 'act'", "GlobalAveragePool 'pool'"}));
  }
}

TEST(FoldBatchNormsTest, LeavesAConvOutputOthersReadAlone) {
  OnnxModel model = OnnxModel::Parse(BatchNormNet(true, true), "bn.onnx");
  EXPECT_EQ(FoldBatchNorms(model), 0);
  EXPECT_EQ(CountOps(model.proto().graph(), "BatchNormalization"), 1);
  EXPECT_NE(graph::FindInitializer(model.proto().graph(), "gamma"), nullptr);
}

}  // namespace
}  // namespace fruits::model::quantization
