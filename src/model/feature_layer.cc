#include "model/feature_layer.h"

#include <onnx/onnx_pb.h>

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

FeatureLayer Make(const OnnxModel& model, const std::string& tensor, std::string reason) {
  return {tensor, PerImageSize(model.TensorShape(tensor)), std::move(reason)};
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
  const auto producers = graph::Producers(graph);
  std::string tensor = graph.output(0).name();
  for (;;) {
    auto it = producers.find(tensor);
    if (it == producers.end()) break;
    const onnx::NodeProto& node = graph.node(it->second);
    const std::string& op = node.op_type();
    if (op == "Softmax" || op == "LogSoftmax") {
      tensor = node.input(0);
      continue;
    }
    if (op == "Add" && node.input_size() == 2) {
      // The bias of a MatMul classifier (Keras exports MatMul + Add).
      int data = graph::FindInitializer(graph, node.input(0)) != nullptr ? 1 : 0;
      auto matmul = producers.find(node.input(data));
      if (graph::FindInitializer(graph, node.input(1 - data)) != nullptr &&
          matmul != producers.end() && graph.node(matmul->second).op_type() == "MatMul") {
        tensor = node.input(data);
        continue;
      }
    }
    if (op == "Gemm" || op == "MatMul") {
      int data = graph::FindInitializer(graph, node.input(0)) != nullptr ? 1 : 0;
      return Make(model, node.input(data),
                  "input of the final classifier " + op + " '" + node.name() + "'");
    }
    break;
  }
  return Make(model, graph.output(0).name(),
              "the model's output (the model ends without a Gemm or MatMul classifier)");
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
