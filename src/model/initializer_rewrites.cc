#include "model/initializer_rewrites.h"

#include <onnx/onnx_pb.h>

#include <optional>

#include "model/graph_edit.h"

namespace fruits::model {

namespace {

// The tensor a Constant node holds, named `name`; nullopt for forms that are not numbers
// (sparse tensors, strings).
std::optional<onnx::TensorProto> ConstantValue(const onnx::NodeProto& node,
                                               const std::string& name) {
  if (node.attribute_size() != 1) return std::nullopt;
  const onnx::AttributeProto& attribute = node.attribute(0);
  onnx::TensorProto tensor;
  if (attribute.name() == "value") {
    tensor = attribute.t();
  } else if (attribute.name() == "value_float") {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_float_data(attribute.f());
  } else if (attribute.name() == "value_floats") {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_dims(attribute.floats_size());
    *tensor.mutable_float_data() = attribute.floats();
  } else if (attribute.name() == "value_int") {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.add_int64_data(attribute.i());
  } else if (attribute.name() == "value_ints") {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.add_dims(attribute.ints_size());
    *tensor.mutable_int64_data() = attribute.ints();
  } else {
    return std::nullopt;
  }
  tensor.set_name(name);
  return tensor;
}

// Whether a Dropout passes its data through: no training_mode input (opset 12 on: inference
// unless given) and its mask unread.
bool IsInferenceDropout(const onnx::NodeProto& node, const std::map<std::string, int>& uses) {
  if (node.input_size() > 2 && !node.input(2).empty()) return false;
  return node.output_size() < 2 || node.output(1).empty() || uses.count(node.output(1)) == 0;
}

void RemoveNodes(onnx::GraphProto& graph, const std::vector<bool>& removed) {
  onnx::GraphProto kept;
  for (int i = 0; i < graph.node_size(); ++i) {
    if (!removed[i]) *kept.add_node() = std::move(*graph.mutable_node(i));
  }
  graph.mutable_node()->Swap(kept.mutable_node());
}

}  // namespace

int ConstantsToInitializers(onnx::ModelProto& model) {
  onnx::GraphProto& graph = *model.mutable_graph();
  std::vector<bool> removed(graph.node_size(), false);
  int count = 0;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    if (node.op_type() != "Constant" || !node.domain().empty() || node.output_size() != 1 ||
        graph::IsGraphOutput(graph, node.output(0))) {
      continue;
    }
    std::optional<onnx::TensorProto> value = ConstantValue(node, node.output(0));
    if (!value) continue;
    AddInitializer(model, std::move(*value));
    removed[i] = true;
    ++count;
  }
  RemoveNodes(graph, removed);
  return count;
}

int BypassCopiesOfInitializers(onnx::ModelProto& model) {
  onnx::GraphProto& graph = *model.mutable_graph();
  const std::map<std::string, int> uses = graph::UseCounts(graph);
  std::vector<bool> removed(graph.node_size(), false);
  int count = 0;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    const bool copies = node.op_type() == "Identity" ||
                        (node.op_type() == "Dropout" && IsInferenceDropout(node, uses));
    if (!copies || !node.domain().empty() || node.input_size() == 0 ||
        graph::FindInitializer(graph, node.input(0)) == nullptr ||
        graph::IsGraphOutput(graph, node.output(0))) {
      continue;
    }
    const std::string copy = node.output(0);
    const std::string original = node.input(0);
    graph::ReplaceUses(graph, copy, original);
    removed[i] = true;
    ++count;
  }
  RemoveNodes(graph, removed);
  return count;
}

void AddInitializer(onnx::ModelProto& model, onnx::TensorProto tensor) {
  onnx::GraphProto& graph = *model.mutable_graph();
  if (model.ir_version() < 4) {
    graph::DescribeTensor(*graph.add_input(), tensor.name(), tensor.data_type(),
                          {tensor.dims().begin(), tensor.dims().end()});
  }
  *graph.add_initializer() = std::move(tensor);
}

std::set<std::string> TensorNames(const onnx::GraphProto& graph) {
  std::set<std::string> names;
  for (const auto& node : graph.node()) {
    names.insert(node.input().begin(), node.input().end());
    names.insert(node.output().begin(), node.output().end());
  }
  for (const auto& tensor : graph.initializer()) names.insert(tensor.name());
  return names;
}

onnx::TensorProto IntInitializer(const std::string& name, int32_t type,
                                 const std::vector<int64_t>& dims,
                                 const std::vector<int64_t>& values) {
  onnx::TensorProto tensor;
  tensor.set_name(name);
  tensor.set_data_type(type);
  for (int64_t dim : dims) tensor.add_dims(dim);
  for (int64_t value : values) {
    if (type == onnx::TensorProto::INT32) {
      tensor.add_int32_data(static_cast<int32_t>(value));
    } else {
      tensor.add_int64_data(value);
    }
  }
  return tensor;
}

}  // namespace fruits::model
