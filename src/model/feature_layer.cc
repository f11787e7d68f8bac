#include "model/feature_layer.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "model/graph_edit.h"
#include "model/tensor.h"
#include "util/error.h"

namespace fruits::model {

namespace {

// Floats per image of a tensor of this shape, or -1 if a dimension past the batch is open.
int64_t PerImageSize(const std::optional<std::vector<int64_t>>& shape) {
  if (!shape || shape->empty()) return -1;
  int64_t size = 1;
  for (size_t i = 1; i < shape->size(); ++i) {
    if ((*shape)[i] < 0) return -1;
    size *= (*shape)[i];
  }
  return size;
}

bool IsTensorOfGraph(const onnx::GraphProto& graph, const std::string& name) {
  for (const auto& node : graph.node()) {
    for (const auto& output : node.output()) {
      if (output == name) return true;
    }
  }
  return false;
}

// The last few node outputs, to suggest names when --feature-layer names nothing.
std::string LastTensors(const onnx::GraphProto& graph, int count) {
  std::string names;
  for (int i = std::max(0, graph.node_size() - count); i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    names += "\n  '" + node.output(0) + "' (" + node.op_type() + ")";
  }
  return names;
}

// Whether `name` is a constant: an initializer or the output of a Constant node (the way some
// converters store weights).
bool IsConstant(const onnx::GraphProto& graph, const std::map<std::string, int>& producers,
                const std::string& name) {
  if (graph::FindInitializer(graph, name) != nullptr) return true;
  auto it = producers.find(name);
  return it != producers.end() && graph.node(it->second).op_type() == "Constant";
}

// Operators that may sit between the dense layers of a classifier head (and after its last one)
// without being part of the backbone: element-wise activations, and what export leaves of
// training-only layers.
bool IsHeadPassThrough(const std::string& op) {
  static const std::set<std::string> kOps = {
      "Relu",        "LeakyRelu", "PRelu",   "Elu",     "Selu",   "Celu",     "Sigmoid",
      "HardSigmoid", "HardSwish", "Tanh",    "Gelu",    "Clip",   "Softplus", "Mish",
      "Dropout",     "Identity",  "Flatten", "Reshape", "Squeeze"};
  return kOps.contains(op);
}

// x of x * Sigmoid(x) or x * HardSigmoid(x): SiLU and HardSwish as exporters write them before
// opset 14 (MobileNetV3's head); nullopt for any other node.
std::optional<std::string> GatedInput(const onnx::GraphProto& graph,
                                      const std::map<std::string, int>& producers,
                                      const onnx::NodeProto& node) {
  if (node.op_type() != "Mul" || node.input_size() != 2) return std::nullopt;
  for (int gate = 0; gate < 2; ++gate) {
    auto it = producers.find(node.input(gate));
    if (it == producers.end()) continue;
    const onnx::NodeProto& producer = graph.node(it->second);
    if ((producer.op_type() == "Sigmoid" || producer.op_type() == "HardSigmoid") &&
        producer.input(0) == node.input(1 - gate)) {
      return node.input(1 - gate);
    }
  }
  return std::nullopt;
}

// A dense layer of a classifier head ending at `tensor`: a Gemm or MatMul with constant weights,
// or the bias Add after such a MatMul (Keras exports MatMul + Add). Null when there is none; else
// the Gemm/MatMul node, and *data its input that is not the weights.
const onnx::NodeProto* DenseLayerAt(const onnx::GraphProto& graph,
                                    const std::map<std::string, int>& producers,
                                    const std::string& tensor, std::string* data) {
  auto it = producers.find(tensor);
  if (it == producers.end()) return nullptr;
  const onnx::NodeProto* node = &graph.node(it->second);
  if (node->op_type() == "Add" && node->input_size() == 2) {
    const int bias = IsConstant(graph, producers, node->input(1))   ? 1
                     : IsConstant(graph, producers, node->input(0)) ? 0
                                                                    : -1;
    if (bias < 0) return nullptr;
    auto matmul = producers.find(node->input(1 - bias));
    if (matmul == producers.end() || graph.node(matmul->second).op_type() != "MatMul") {
      return nullptr;
    }
    node = &graph.node(matmul->second);
  }
  if (node->op_type() != "Gemm" && node->op_type() != "MatMul") return nullptr;
  if (node->input_size() < 2) return nullptr;
  const int weights = IsConstant(graph, producers, node->input(1))   ? 1
                      : IsConstant(graph, producers, node->input(0)) ? 0
                                                                     : -1;
  if (weights < 0) return nullptr;
  *data = node->input(1 - weights);
  return node;
}

// The classifier head: the trailing dense layers (with activations, Dropout and Identity between
// them, and a Softmax or activation after the last), and the tensor that enters it.
struct ClassifierHead {
  struct Layer {
    const onnx::NodeProto* node;
    std::string input;  // its data input (not the weights): the first one's is the embedding
  };
  std::vector<Layer> layers;  // first to last
};

ClassifierHead FindClassifierHead(const onnx::GraphProto& graph) {
  const auto producers = graph::Producers(graph);
  auto skip_pass_through = [&](std::string tensor) {
    for (auto it = producers.find(tensor); it != producers.end(); it = producers.find(tensor)) {
      const onnx::NodeProto& node = graph.node(it->second);
      const std::string& op = node.op_type();
      if (IsHeadPassThrough(op) || op == "Softmax" || op == "LogSoftmax") {
        tensor = node.input(0);
      } else if (std::optional<std::string> gated = GatedInput(graph, producers, node)) {
        tensor = *gated;
      } else {
        break;
      }
    }
    return tensor;
  };
  ClassifierHead head;
  std::string tensor = skip_pass_through(graph.output(0).name());
  std::string data;
  while (const onnx::NodeProto* layer = DenseLayerAt(graph, producers, tensor, &data)) {
    head.layers.insert(head.layers.begin(), {layer, data});
    tensor = skip_pass_through(data);
  }
  return head;
}

FeatureLayer Make(const OnnxModel& model, const std::string& tensor, std::string reason) {
  return {tensor, PerImageSize(model.TensorShape(tensor)), std::move(reason)};
}

// The automatic choice: the tensor entering `head`, or the output of a model without one.
FeatureLayer AutomaticFeatureLayer(const OnnxModel& model, const ClassifierHead& head) {
  if (head.layers.empty()) {
    return Make(model, model.proto().graph().output(0).name(),
                "the model's output (the model ends without a Gemm or MatMul classifier)");
  }
  const std::string& embedding = head.layers.front().input;
  if (head.layers.size() == 1) {
    const onnx::NodeProto& layer = *head.layers.front().node;
    return Make(model, embedding,
                "input of the final classifier " + layer.op_type() + " '" + layer.name() + "'");
  }
  std::string reason =
      "input of the classifier head of " + std::to_string(head.layers.size()) + " dense layers (";
  for (size_t i = 0; i < head.layers.size(); ++i) {
    if (i > 0) reason += ", ";
    reason.append(head.layers[i].node->op_type())
        .append(" '")
        .append(head.layers[i].node->name())
        .append("'");
  }
  return Make(model, embedding, reason + "): the backbone's embedding");
}

}  // namespace

FeatureLayer ChooseFeatureLayer(const OnnxModel& model, const std::string& requested) {
  const onnx::GraphProto& graph = model.proto().graph();
  if (!requested.empty()) {
    if (!IsTensorOfGraph(graph, requested)) {
      throw UsageError("--feature-layer '" + requested + "' is not a tensor of model '" +
                       model.source() + "'; its last tensors are:" + LastTensors(graph, 8) +
                       "\n(fruits model inspect lists the layers)");
    }
    return Make(model, requested, "named by --feature-layer");
  }
  if (graph.output_size() != 1) {
    throw Error("model '" + model.source() + "' has " + std::to_string(graph.output_size()) +
                " outputs: name the feature tensor with --feature-layer");
  }
  return AutomaticFeatureLayer(model, FindClassifierHead(graph));
}

std::vector<FeatureLayer> CandidateFeatureLayers(const OnnxModel& model) {
  const onnx::GraphProto& graph = model.proto().graph();
  if (graph.output_size() != 1) return {};
  const ClassifierHead head = FindClassifierHead(graph);
  std::vector<FeatureLayer> candidates = {AutomaticFeatureLayer(model, head)};
  for (size_t i = 1; i < head.layers.size(); ++i) {
    const onnx::NodeProto& layer = *head.layers[i].node;
    candidates.push_back(
        Make(model, head.layers[i].input,
             "hidden layer: input of " + layer.op_type() + " '" + layer.name() + "'"));
  }
  return candidates;
}

void CutAtFeatureLayer(OnnxModel& model, const FeatureLayer& layer) {
  onnx::GraphProto& graph = *model.mutable_proto().mutable_graph();
  std::string output = layer.tensor;
  auto shape = model.TensorShape(layer.tensor);
  if (shape && shape->size() > 2) {
    for (size_t axis = 2; axis < shape->size(); ++axis) {
      if ((*shape)[axis] != 1) {
        throw Error("feature layer '" + layer.tensor + "' of model '" + model.source() +
                    "' has shape " + ShapeToString(*shape) +
                    ": that is not one vector per image; choose a tensor after global pooling "
                    "(--feature-layer), or leave the flag out for the classifier's input");
      }
    }
    output = layer.tensor + "/fruits_flatten";
    onnx::NodeProto& flatten = *graph.add_node();
    flatten.set_op_type("Flatten");
    flatten.set_name(output);
    flatten.add_input(layer.tensor);
    flatten.add_output(output);
    auto& axis = *flatten.add_attribute();
    axis.set_name("axis");
    axis.set_type(onnx::AttributeProto::INT);
    axis.set_i(1);
  } else if (shape && shape->size() < 2) {
    throw Error("feature layer '" + layer.tensor + "' of model '" + model.source() +
                "' has shape " + ShapeToString(*shape) + ": not a batch of vectors");
  }
  graph.clear_output();
  onnx::ValueInfoProto& out = *graph.add_output();
  out.set_name(output);
  auto& tensor_type = *out.mutable_type()->mutable_tensor_type();
  tensor_type.set_elem_type(onnx::TensorProto::FLOAT);
  auto& dims = *tensor_type.mutable_shape();
  dims.add_dim()->set_dim_param("batch");
  if (layer.dimension > 0) {
    dims.add_dim()->set_dim_value(layer.dimension);
  } else {
    dims.add_dim()->set_dim_param("features");
  }
  graph::RemoveUnused(graph);
  model.Refresh();
}

}  // namespace fruits::model
