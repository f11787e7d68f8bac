#include "model/quantization/qdq_rewrite.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

#include "model/graph_edit.h"
#include "model/initializer_rewrites.h"
#include "model/quantization/rounding.h"
#include "util/error.h"

namespace fruits::model::quantization {

namespace {

// The first opset with per-axis DequantizeLinear.
constexpr int64_t kQdqOpset = 13;

// Nodes that move or rename values without computing: neither quantized nor worth listing as
// float.
const std::set<std::string> kLeftOut = {"Constant", "Dropout", "Flatten",   "Identity", "Reshape",
                                        "Shape",    "Squeeze", "Transpose", "Unsqueeze"};

bool IsDefaultDomain(const onnx::NodeProto& node) {
  return node.domain().empty() || node.domain() == "ai.onnx";
}

std::string Describe(const onnx::NodeProto& node) {
  return node.op_type() + " '" + node.name() + "'";
}

// What the rewrite needs to know about the graph's tensors.
struct GraphIndex {
  explicit GraphIndex(const onnx::GraphProto& graph) : graph(graph) {
    for (const auto& tensor : graph.initializer()) initializers[tensor.name()] = &tensor;
    for (const auto& list : {graph.input(), graph.value_info(), graph.output()}) {
      for (const auto& value : list) {
        if (value.type().has_tensor_type()) {
          elem_types[value.name()] = value.type().tensor_type().elem_type();
        }
      }
    }
    for (int i = 0; i < graph.node_size(); ++i) {
      for (const auto& input : graph.node(i).input()) readers[input].push_back(i);
    }
  }

  const onnx::TensorProto* Initializer(const std::string& name) const {
    auto it = initializers.find(name);
    return it == initializers.end() ? nullptr : it->second;
  }
  // A float tensor a node computes (or the graph input); a tensor shape inference did not type
  // is taken as float, as the image models' tensors are.
  bool IsComputedFloat(const std::string& name) const {
    if (name.empty() || Initializer(name) != nullptr) return false;
    auto it = elem_types.find(name);
    return it == elem_types.end() || it->second == onnx::TensorProto::FLOAT;
  }
  bool IsFloatInitializer(const std::string& name, size_t rank) const {
    const onnx::TensorProto* tensor = Initializer(name);
    return tensor != nullptr && tensor->data_type() == onnx::TensorProto::FLOAT &&
           static_cast<size_t>(tensor->dims_size()) == rank;
  }

  const onnx::GraphProto& graph;
  std::map<std::string, const onnx::TensorProto*> initializers;
  std::map<std::string, int32_t> elem_types;
  // The nodes reading each tensor, once per input that reads it.
  std::map<std::string, std::vector<int>> readers;
};

// How one quantizable node reads its inputs: which are activations, which input holds the
// weights (and along which axis their output channels lie) and which the bias.
struct QuantizableForm {
  std::vector<int> activations;
  int weight = -1;
  int64_t weight_axis = 0;
  int bias = -1;
};

bool HasInput(const onnx::NodeProto& node, int i) {
  return node.input_size() > i && !node.input(i).empty();
}

// A bias is quantized with its weights: a float vector of one value per output channel.
bool IsChannelBias(const GraphIndex& index, const std::string& bias, int64_t channels) {
  return index.IsFloatInitializer(bias, 1) && index.Initializer(bias)->dims(0) == channels;
}

std::optional<QuantizableForm> ConvForm(const GraphIndex& index, const onnx::NodeProto& node) {
  if (!index.IsComputedFloat(node.input(0)) || node.input_size() < 2) return std::nullopt;
  const onnx::TensorProto* weight = index.Initializer(node.input(1));
  if (weight == nullptr || weight->data_type() != onnx::TensorProto::FLOAT ||
      weight->dims_size() < 3) {
    return std::nullopt;
  }
  QuantizableForm form{{0}, 1, 0, -1};
  if (HasInput(node, 2)) {
    if (!IsChannelBias(index, node.input(2), weight->dims(0))) return std::nullopt;
    form.bias = 2;
  }
  return form;
}

// Gemm(A, B, C) = A * B(^T) + C with alpha = beta = 1 and A untransposed: onnxruntime's form.
std::optional<QuantizableForm> GemmForm(const GraphIndex& index, const onnx::NodeProto& node) {
  if (node.input_size() < 2 || !index.IsComputedFloat(node.input(0)) ||
      !index.IsFloatInitializer(node.input(1), 2) || graph::Int(node, "transA", 0) != 0 ||
      graph::Float(node, "alpha", 1) != 1 || graph::Float(node, "beta", 1) != 1) {
    return std::nullopt;
  }
  const bool transposed = graph::Int(node, "transB", 0) != 0;
  QuantizableForm form{{0}, 1, transposed ? 0 : 1, -1};
  if (HasInput(node, 2)) {
    const int64_t outputs = index.Initializer(node.input(1))->dims(transposed ? 0 : 1);
    if (!IsChannelBias(index, node.input(2), outputs)) return std::nullopt;
    form.bias = 2;
  }
  return form;
}

std::optional<QuantizableForm> MatMulForm(const GraphIndex& index, const onnx::NodeProto& node) {
  if (node.input_size() != 2 || !index.IsComputedFloat(node.input(0)) ||
      !index.IsFloatInitializer(node.input(1), 2)) {
    return std::nullopt;
  }
  return QuantizableForm{{0}, 1, 1, -1};
}

// How `node` would be quantized, or nullopt when it stays float.
std::optional<QuantizableForm> FormOf(const GraphIndex& index, const onnx::NodeProto& node) {
  if (!IsDefaultDomain(node) || node.output_size() != 1 || node.input_size() == 0) {
    return std::nullopt;
  }
  const std::string& op = node.op_type();
  if (op == "Conv") return ConvForm(index, node);
  if (op == "Gemm") return GemmForm(index, node);
  if (op == "MatMul") return MatMulForm(index, node);
  if (op == "Add" || op == "Mul" || op == "Sub") {
    if (node.input_size() != 2 || !index.IsComputedFloat(node.input(0)) ||
        !index.IsComputedFloat(node.input(1))) {
      return std::nullopt;
    }
    return QuantizableForm{{0, 1}};
  }
  if (op == "GlobalAveragePool" || op == "MaxPool" || op == "AveragePool") {
    if (!index.IsComputedFloat(node.input(0))) return std::nullopt;
    return QuantizableForm{{0}};
  }
  return std::nullopt;
}

// A Relu, or a Clip whose bounds are constants: an activation a quantized operator absorbs.
bool IsFusableActivation(const GraphIndex& index, const onnx::NodeProto& node) {
  if (!IsDefaultDomain(node) || node.output_size() != 1) return false;
  if (node.op_type() == "Relu") return true;
  if (node.op_type() != "Clip") return false;
  for (int i = 1; i < node.input_size(); ++i) {
    if (!node.input(i).empty() && index.Initializer(node.input(i)) == nullptr) return false;
  }
  return true;
}

// The Relu or Clip that is the only reader of `tensor`, or -1.
int SoleActivationReader(const GraphIndex& index, const std::string& tensor) {
  auto it = index.readers.find(tensor);
  if (it == index.readers.end() || it->second.size() != 1 ||
      graph::IsGraphOutput(index.graph, tensor)) {
    return -1;
  }
  const int reader = it->second[0];
  return IsFusableActivation(index, index.graph.node(reader)) ? reader : -1;
}

// The nodes `tensor` depends on, the node producing it included.
std::vector<bool> Ancestors(const onnx::GraphProto& graph, const std::string& tensor) {
  std::set<std::string> needed = {tensor};
  std::vector<bool> ancestor(graph.node_size(), false);
  // Nodes are topologically sorted (the checker requires it): one backward sweep suffices.
  for (int i = graph.node_size() - 1; i >= 0; --i) {
    const auto& node = graph.node(i);
    for (const auto& output : node.output()) ancestor[i] = ancestor[i] || needed.count(output) > 0;
    if (ancestor[i]) needed.insert(node.input().begin(), node.input().end());
  }
  return ancestor;
}

bool IsTensorOf(const onnx::GraphProto& graph, const std::string& tensor) {
  for (const auto& input : graph.input()) {
    if (input.name() == tensor) return true;
  }
  return graph::Producers(graph).count(tensor) > 0;
}

// The plan's tensors in graph order: graph inputs first, then node outputs as they come.
std::vector<std::string> InGraphOrder(const onnx::GraphProto& graph,
                                      const std::set<std::string>& tensors) {
  std::vector<std::string> ordered;
  for (const auto& input : graph.input()) {
    if (tensors.count(input.name()) > 0) ordered.push_back(input.name());
  }
  for (const auto& node : graph.node()) {
    for (const auto& output : node.output()) {
      if (tensors.count(output) > 0) ordered.push_back(output);
    }
  }
  return ordered;
}

// --- Writing the quantized graph ---------------------------------------------------------------

// Names not yet used in the graph, from readable bases ("conv_quantized", then "_2", ...).
class NameSource {
 public:
  explicit NameSource(const onnx::GraphProto& graph) {
    for (const auto& node : graph.node()) {
      used_.insert(node.name());
      used_.insert(node.input().begin(), node.input().end());
      used_.insert(node.output().begin(), node.output().end());
    }
    for (const auto& list : {graph.input(), graph.output(), graph.value_info()}) {
      for (const auto& value : list) used_.insert(value.name());
    }
    for (const auto& tensor : graph.initializer()) used_.insert(tensor.name());
  }
  std::string Fresh(const std::string& base) {
    std::string name = base;
    for (int i = 2; !used_.insert(name).second; ++i) name = base + "_" + std::to_string(i);
    return name;
  }

 private:
  std::set<std::string> used_;
};

template <typename T>
onnx::TensorProto MakeTensor(const std::string& name, int32_t data_type,
                             const std::vector<int64_t>& dims, const std::vector<T>& values) {
  onnx::TensorProto tensor;
  tensor.set_name(name);
  tensor.set_data_type(data_type);
  for (int64_t d : dims) tensor.add_dims(d);
  tensor.set_raw_data(values.data(), values.size() * sizeof(T));
  return tensor;
}

onnx::NodeProto MakeNode(const std::string& op_type, const std::string& name,
                         const std::vector<std::string>& inputs, const std::string& output,
                         std::optional<int64_t> axis = std::nullopt) {
  onnx::NodeProto node;
  node.set_op_type(op_type);
  node.set_name(name);
  for (const auto& input : inputs) node.add_input(input);
  node.add_output(output);
  if (axis) {
    auto& attribute = *node.add_attribute();
    attribute.set_name("axis");
    attribute.set_type(onnx::AttributeProto::INT);
    attribute.set_i(*axis);
  }
  return node;
}

// Weights quantized symmetrically per output channel.
struct ChannelQuantized {
  std::vector<int8_t> values;
  std::vector<float> scales;
};

ChannelQuantized QuantizeWeights(const onnx::TensorProto& weights, int64_t axis) {
  const std::vector<double> w = graph::TensorValues(weights);
  const auto channels = static_cast<size_t>(weights.dims(static_cast<int>(axis)));
  size_t inner = 1;
  for (int d = static_cast<int>(axis) + 1; d < weights.dims_size(); ++d) inner *= weights.dims(d);
  auto channel_of = [&](size_t i) { return i / inner % channels; };

  std::vector<double> largest(channels, 0);
  for (size_t i = 0; i < w.size(); ++i) {
    largest[channel_of(i)] = std::max(largest[channel_of(i)], std::fabs(w[i]));
  }
  ChannelQuantized q;
  for (double m : largest) q.scales.push_back(m > 0 ? static_cast<float>(m / 127) : 1.0f);
  q.values.resize(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    q.values[i] = RoundSaturated<int8_t>(w[i] / q.scales[channel_of(i)], -127, 127);
  }
  return q;
}

// The graph being rewritten: new nodes, new initializers and the tensors renamed for readers.
class QdqWriter {
 public:
  QdqWriter(onnx::ModelProto& model, const std::map<std::string, ActivationQuantization>& params)
      : model_(model), graph_(*model.mutable_graph()), names_(graph_), parameters_(params) {}

  // T -> QuantizeLinear -> T_quantized -> DequantizeLinear -> T_dequantized, appended to `nodes`.
  void AddActivationPair(const std::string& tensor, std::vector<onnx::NodeProto>& nodes) {
    auto it = parameters_.find(tensor);
    if (it == parameters_.end()) {
      throw InternalError("InsertQdq: no calibrated parameters for tensor '" + tensor + "'");
    }
    const std::string scale =
        AddInitializer(MakeTensor(names_.Fresh(tensor + "_scale"), onnx::TensorProto::FLOAT, {},
                                  std::vector<float>{it->second.scale}));
    const std::string zero_point =
        AddInitializer(MakeTensor(names_.Fresh(tensor + "_zero_point"), onnx::TensorProto::INT8, {},
                                  std::vector<int8_t>{static_cast<int8_t>(it->second.zero_point)}));
    const std::string quantized = names_.Fresh(tensor + "_quantized");
    const std::string dequantized = names_.Fresh(tensor + "_dequantized");
    nodes.push_back(MakeNode("QuantizeLinear", names_.Fresh(tensor + "_QuantizeLinear"),
                             {tensor, scale, zero_point}, quantized));
    nodes.push_back(MakeNode("DequantizeLinear", names_.Fresh(tensor + "_DequantizeLinear"),
                             {quantized, scale, zero_point}, dequantized));
    dequantized_[tensor] = dequantized;
    quantize_nodes_.insert(nodes[nodes.size() - 2].name());
  }

  // Makes `node` read int8 weights and an int32 bias through DequantizeLinear nodes, appended to
  // `nodes` (before `node`).
  void QuantizeParameters(onnx::NodeProto& node, const QuantizableForm& form,
                          std::vector<onnx::NodeProto>& nodes) {
    if (form.weight < 0) return;
    const std::string weight_name = node.input(form.weight);
    const std::string key = weight_name + "@" + std::to_string(form.weight_axis);
    if (!weights_.count(key)) {
      const onnx::TensorProto& original = *graph::FindInitializer(graph_, weight_name);
      ChannelQuantized q = QuantizeWeights(original, form.weight_axis);
      const std::vector<int64_t> dims(original.dims().begin(), original.dims().end());
      const std::string output =
          AddChannelDequantize(weight_name,
                               MakeTensor(names_.Fresh(weight_name + "_quantized"),
                                          onnx::TensorProto::INT8, dims, q.values),
                               q.scales, std::vector<int8_t>(q.scales.size(), 0),
                               onnx::TensorProto::INT8, form.weight_axis, nodes);
      weights_[key] = {output, std::move(q.scales)};
    }
    const auto& [weight_output, weight_scales] = weights_[key];
    node.set_input(form.weight, weight_output);
    replaced_.insert(weight_name);

    if (form.bias < 0) return;
    const std::string bias_name = node.input(form.bias);
    const float input_scale = parameters_.at(node.input(form.activations[0])).scale;
    const std::vector<double> bias =
        graph::TensorValues(*graph::FindInitializer(graph_, bias_name));
    std::vector<float> scales(bias.size());
    std::vector<int32_t> values(bias.size());
    for (size_t c = 0; c < bias.size(); ++c) {
      scales[c] = static_cast<float>(static_cast<double>(input_scale) * weight_scales[c]);
      values[c] = RoundSaturated<int32_t>(bias[c] / scales[c], std::numeric_limits<int32_t>::min(),
                                          std::numeric_limits<int32_t>::max());
    }
    node.set_input(
        form.bias,
        AddChannelDequantize(
            bias_name,
            MakeTensor(names_.Fresh(bias_name + "_quantized"), onnx::TensorProto::INT32,
                       {static_cast<int64_t>(bias.size())}, values),
            scales, std::vector<int32_t>(bias.size(), 0), onnx::TensorProto::INT32, 0, nodes));
    replaced_.insert(bias_name);
  }

  // REQUIRES: every plan tensor is one of the graph's (an opset conversion keeps their names).
  void CheckEveryTensorPaired(const std::vector<std::string>& tensors) const {
    for (const std::string& tensor : tensors) {
      if (dequantized_.count(tensor) == 0) {
        throw InternalError("InsertQdq: the plan's tensor '" + tensor + "' is not in the graph");
      }
    }
  }

  // Every reader of a quantized tensor reads its dequantized copy (its QuantizeLinear aside);
  // graph outputs keep the float tensor.
  void RewireReaders(std::vector<onnx::NodeProto>& nodes) const {
    for (auto& node : nodes) {
      if (quantize_nodes_.count(node.name()) > 0) continue;
      for (auto& input : *node.mutable_input()) {
        auto it = dequantized_.find(input);
        if (it != dequantized_.end()) input = it->second;
      }
    }
  }

  // Drops the float weights and biases no node reads any more.
  void RemoveReplacedInitializers(const std::vector<onnx::NodeProto>& nodes) {
    std::set<std::string> read;
    for (const auto& node : nodes) read.insert(node.input().begin(), node.input().end());
    auto unused = [&](const std::string& name) {
      return replaced_.count(name) > 0 && read.count(name) == 0 &&
             !graph::IsGraphOutput(graph_, name);
    };
    auto* initializers = graph_.mutable_initializer();
    for (int i = initializers->size() - 1; i >= 0; --i) {
      if (unused(initializers->Get(i).name())) initializers->DeleteSubrange(i, 1);
    }
    auto* inputs = graph_.mutable_input();
    for (int i = inputs->size() - 1; i >= 0; --i) {
      if (unused(inputs->Get(i).name())) inputs->DeleteSubrange(i, 1);
    }
  }

 private:
  std::string AddInitializer(onnx::TensorProto tensor) {
    std::string name = tensor.name();
    model::AddInitializer(model_, std::move(tensor));
    return name;
  }

  // quantized -> DequantizeLinear(scales, zero points, axis) -> "<original>_dequantized".
  template <typename Zero>
  std::string AddChannelDequantize(const std::string& original, onnx::TensorProto quantized,
                                   const std::vector<float>& scales,
                                   const std::vector<Zero>& zero_points, int32_t zero_type,
                                   int64_t axis, std::vector<onnx::NodeProto>& nodes) {
    const auto channels = static_cast<int64_t>(scales.size());
    const std::string values = AddInitializer(std::move(quantized));
    const std::string scale = AddInitializer(MakeTensor(
        names_.Fresh(original + "_scale"), onnx::TensorProto::FLOAT, {channels}, scales));
    const std::string zero_point = AddInitializer(
        MakeTensor(names_.Fresh(original + "_zero_point"), zero_type, {channels}, zero_points));
    const std::string output = names_.Fresh(original + "_dequantized");
    nodes.push_back(MakeNode("DequantizeLinear", names_.Fresh(original + "_DequantizeLinear"),
                             {values, scale, zero_point}, output, axis));
    return output;
  }

  onnx::ModelProto& model_;
  onnx::GraphProto& graph_;
  NameSource names_;
  const std::map<std::string, ActivationQuantization>& parameters_;
  std::map<std::string, std::string> dequantized_;
  std::set<std::string> quantize_nodes_;
  // Each quantized weight's DequantizeLinear output and scales, by "name@axis" (a weight two
  // nodes share is quantized once).
  std::map<std::string, std::pair<std::string, std::vector<float>>> weights_;
  std::set<std::string> replaced_;
};

// Whether every tensor `node` would quantize has a pair in `tensors`: its activations and its
// output, or the output of the Relu or Clip that alone reads it.
bool AllPaired(const GraphIndex& index, const onnx::NodeProto& node, const QuantizableForm& form,
               const std::set<std::string>& tensors) {
  for (int i : form.activations) {
    if (tensors.count(node.input(i)) == 0) return false;
  }
  if (tensors.count(node.output(0)) > 0) return true;
  const int activation = SoleActivationReader(index, node.output(0));
  return activation >= 0 && tensors.count(index.graph.node(activation).output(0)) > 0;
}

void SetMetadata(onnx::ModelProto& proto, const std::string& key, const std::string& value) {
  for (auto& entry : *proto.mutable_metadata_props()) {
    if (entry.key() == key) {
      entry.set_value(value);
      return;
    }
  }
  auto& entry = *proto.add_metadata_props();
  entry.set_key(key);
  entry.set_value(value);
}

// --- Folding batch norms ----------------------------------------------------------------------

// The per-channel parameters of a BatchNormalization, or nullopt when one is not a constant
// vector of `channels` floats or the node is in training form.
struct BatchNorm {
  std::vector<double> scale, bias, mean, variance;
  double epsilon = 1e-5;
};
std::optional<BatchNorm> BatchNormOf(const GraphIndex& index, const onnx::NodeProto& node,
                                     int64_t channels) {
  if (!IsDefaultDomain(node) || node.op_type() != "BatchNormalization" || node.input_size() != 5 ||
      node.output_size() != 1 || graph::Int(node, "training_mode", 0) != 0) {
    return std::nullopt;
  }
  std::vector<double>* fields[4];
  BatchNorm bn;
  fields[0] = &bn.scale, fields[1] = &bn.bias, fields[2] = &bn.mean, fields[3] = &bn.variance;
  for (int i = 0; i < 4; ++i) {
    if (!IsChannelBias(index, node.input(i + 1), channels)) return std::nullopt;
    *fields[i] = graph::TensorValues(*index.Initializer(node.input(i + 1)));
  }
  bn.epsilon = graph::Float(node, "epsilon", 1e-5f);
  return bn;
}

// The Conv's weights and bias with `bn` applied: w * s and (b - mean) * s + beta, with
// s = gamma / sqrt(variance + epsilon) per output channel.
std::pair<std::vector<float>, std::vector<float>> Folded(const onnx::TensorProto& weights,
                                                         const onnx::TensorProto* bias,
                                                         const BatchNorm& bn) {
  const std::vector<double> w = graph::TensorValues(weights);
  const size_t channels = bn.scale.size(), per_channel = w.size() / channels;
  const std::vector<double> b =
      bias != nullptr ? graph::TensorValues(*bias) : std::vector<double>(channels, 0);
  std::vector<float> folded_w(w.size()), folded_b(channels);
  for (size_t c = 0; c < channels; ++c) {
    const double s = bn.scale[c] / std::sqrt(bn.variance[c] + bn.epsilon);
    for (size_t i = c * per_channel; i < (c + 1) * per_channel; ++i) {
      folded_w[i] = static_cast<float>(w[i] * s);
    }
    folded_b[c] = static_cast<float>((b[c] - bn.mean[c]) * s + bn.bias[c]);
  }
  return {std::move(folded_w), std::move(folded_b)};
}

}  // namespace

QuantizationPlan PlanQuantization(const OnnxModel& model, const std::string& feature_tensor) {
  if (IsQuantized(model)) {
    throw Error("model '" + model.source() +
                "' is already quantized (it holds QuantizeLinear/DequantizeLinear nodes): "
                "quantize the float model it was made from");
  }
  const onnx::GraphProto& graph = model.proto().graph();
  if (!IsTensorOf(graph, feature_tensor)) {
    throw Error("model '" + model.source() + "' has no tensor '" + feature_tensor + "'");
  }
  const GraphIndex index(graph);
  const std::vector<bool> backbone = Ancestors(graph, feature_tensor);

  // Each quantizable backbone node pairs its activations and its output, or the output of the
  // Relu or Clip that alone reads it, which then runs with it.
  std::set<std::string> tensors;
  std::vector<bool> quantized(graph.node_size(), false);
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    const std::optional<QuantizableForm> form = FormOf(index, node);
    if (!backbone[i] || !form) continue;
    quantized[i] = true;
    for (int input : form->activations) tensors.insert(node.input(input));
    const int activation = SoleActivationReader(index, node.output(0));
    if (activation >= 0 && backbone[activation]) {
      quantized[activation] = true;
      tensors.insert(graph.node(activation).output(0));
    } else {
      tensors.insert(node.output(0));
    }
  }

  QuantizationPlan plan;
  plan.tensors = InGraphOrder(graph, tensors);
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    if (quantized[i]) {
      plan.quantized_nodes.push_back(Describe(node));
    } else if (kLeftOut.count(node.op_type()) == 0) {
      plan.float_nodes.push_back(Describe(node));
    }
  }
  return plan;
}

void InsertQdq(OnnxModel& model, const QuantizationPlan& plan,
               const std::map<std::string, ActivationQuantization>& parameters,
               const std::string& description) {
  model.UpgradeOpset(kQdqOpset, "a quantized model (per-channel DequantizeLinear)");
  onnx::GraphProto& graph = *model.mutable_proto().mutable_graph();
  const std::set<std::string> tensors(plan.tensors.begin(), plan.tensors.end());

  // Which nodes run in int8, decided on the graph as it is before any edit.
  std::vector<std::optional<QuantizableForm>> forms(graph.node_size());
  {
    const GraphIndex index(graph);
    for (int i = 0; i < graph.node_size(); ++i) {
      forms[i] = FormOf(index, graph.node(i));
      if (forms[i] && !AllPaired(index, graph.node(i), *forms[i], tensors)) forms[i].reset();
    }
  }

  // Q/DQ pairs right after the tensor's producer (graph inputs: first), weight and bias
  // DequantizeLinear nodes right before their reader: the order stays topological.
  QdqWriter writer(model.mutable_proto(), parameters);
  std::vector<onnx::NodeProto> nodes;
  for (const auto& input : graph.input()) {
    if (tensors.count(input.name()) > 0) writer.AddActivationPair(input.name(), nodes);
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    onnx::NodeProto node = graph.node(i);
    if (forms[i]) writer.QuantizeParameters(node, *forms[i], nodes);
    nodes.push_back(std::move(node));
    for (const auto& output : graph.node(i).output()) {
      if (tensors.count(output) > 0) writer.AddActivationPair(output, nodes);
    }
  }
  writer.CheckEveryTensorPaired(plan.tensors);
  writer.RewireReaders(nodes);
  writer.RemoveReplacedInitializers(nodes);
  graph.clear_node();
  for (auto& node : nodes) *graph.add_node() = std::move(node);

  SetMetadata(model.mutable_proto(), "fruits.quantization", description);
  model.Refresh();
}

int FoldBatchNorms(OnnxModel& model) {
  onnx::GraphProto& graph = *model.mutable_proto().mutable_graph();
  NameSource names(graph);
  std::vector<onnx::TensorProto> added;
  std::set<int> folded_nodes;
  std::set<std::string> replaced;  // the old weights, biases and batch norm parameters
  {
    const GraphIndex index(graph);
    for (int i = 0; i < graph.node_size(); ++i) {
      onnx::NodeProto& conv = *graph.mutable_node(i);
      const std::optional<QuantizableForm> form =
          conv.op_type() == "Conv" ? ConvForm(index, conv) : std::nullopt;
      auto readers = index.readers.find(conv.output(0));
      if (!form || readers == index.readers.end() || readers->second.size() != 1 ||
          graph::IsGraphOutput(graph, conv.output(0))) {
        continue;
      }
      const int reader = readers->second[0];
      const onnx::TensorProto& weights = *index.Initializer(conv.input(1));
      const std::optional<BatchNorm> bn = BatchNormOf(index, graph.node(reader), weights.dims(0));
      if (!bn) continue;
      const onnx::TensorProto* bias = form->bias >= 0 ? index.Initializer(conv.input(2)) : nullptr;
      auto [w, b] = Folded(weights, bias, *bn);
      replaced.insert(conv.input().begin() + 1, conv.input().end());
      replaced.insert(graph.node(reader).input().begin() + 1, graph.node(reader).input().end());
      const std::vector<int64_t> dims(weights.dims().begin(), weights.dims().end());
      const std::string& out = graph.node(reader).output(0);
      added.push_back(MakeTensor(names.Fresh(out + ".weight"), onnx::TensorProto::FLOAT, dims, w));
      if (conv.input_size() < 3) conv.add_input();
      conv.set_input(1, added.back().name());
      added.push_back(
          MakeTensor(names.Fresh(out + ".bias"), onnx::TensorProto::FLOAT, {dims[0]}, b));
      conv.set_input(2, added.back().name());
      conv.set_output(0, out);
      folded_nodes.insert(reader);
    }
  }
  if (folded_nodes.empty()) return 0;

  // The BatchNormalization nodes go; so do their parameters and the old weights, unless another
  // node reads them.
  onnx::GraphProto kept;
  for (int i = 0; i < graph.node_size(); ++i) {
    if (folded_nodes.count(i) == 0) *kept.add_node() = std::move(*graph.mutable_node(i));
  }
  graph.mutable_node()->Swap(kept.mutable_node());
  for (auto& tensor : added) AddInitializer(model.mutable_proto(), std::move(tensor));
  std::set<std::string> read;
  for (const auto& node : graph.node()) read.insert(node.input().begin(), node.input().end());
  for (const auto& output : graph.output()) read.insert(output.name());
  auto* initializers = graph.mutable_initializer();
  std::set<std::string> removed;
  for (int i = initializers->size() - 1; i >= 0; --i) {
    const std::string& name = initializers->Get(i).name();
    if (replaced.count(name) == 0 || read.count(name) > 0) continue;
    removed.insert(initializers->Get(i).name());
    initializers->DeleteSubrange(i, 1);
  }
  auto* inputs = graph.mutable_input();
  for (int i = inputs->size() - 1; i >= 0; --i) {
    if (removed.count(inputs->Get(i).name()) > 0) inputs->DeleteSubrange(i, 1);
  }
  model.Refresh();
  return static_cast<int>(folded_nodes.size());
}

bool IsQuantized(const OnnxModel& model) {
  for (const auto& node : model.proto().graph().node()) {
    if (!IsDefaultDomain(node)) continue;
    const std::string& op = node.op_type();
    if (op == "QuantizeLinear" || op == "DequantizeLinear" || op == "DynamicQuantizeLinear" ||
        op.starts_with("QLinear") || op.ends_with("Integer")) {
      return true;
    }
  }
  return false;
}

}  // namespace fruits::model::quantization
