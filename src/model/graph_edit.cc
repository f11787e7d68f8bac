#include "model/graph_edit.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "util/error.h"

namespace fruits::model::graph {

std::map<std::string, int> Producers(const onnx::GraphProto& graph) {
  std::map<std::string, int> producers;
  for (int i = 0; i < graph.node_size(); ++i) {
    for (const auto& output : graph.node(i).output()) producers[output] = i;
  }
  return producers;
}

std::map<std::string, int> UseCounts(const onnx::GraphProto& graph) {
  std::map<std::string, int> uses;
  for (const auto& node : graph.node()) {
    for (const auto& input : node.input()) ++uses[input];
  }
  for (const auto& output : graph.output()) ++uses[output.name()];
  return uses;
}

bool IsGraphOutput(const onnx::GraphProto& graph, const std::string& tensor) {
  for (const auto& output : graph.output()) {
    if (output.name() == tensor) return true;
  }
  return false;
}

void ReplaceUses(onnx::GraphProto& graph, const std::string& from, const std::string& to) {
  for (auto& node : *graph.mutable_node()) {
    for (auto& input : *node.mutable_input()) {
      if (input == from) input = to;
    }
  }
  for (auto& output : *graph.mutable_output()) {
    if (output.name() == from) output.set_name(to);
  }
}

int RemoveUnused(onnx::GraphProto& graph) {
  std::set<std::string> needed;
  for (const auto& output : graph.output()) needed.insert(output.name());
  std::vector<bool> keep(graph.node_size(), false);
  // Nodes are topologically sorted (the checker requires it): one backward sweep suffices.
  for (int i = graph.node_size() - 1; i >= 0; --i) {
    const auto& node = graph.node(i);
    for (const auto& output : node.output()) keep[i] = keep[i] || needed.count(output) > 0;
    if (keep[i]) needed.insert(node.input().begin(), node.input().end());
  }
  onnx::GraphProto kept;
  int removed = 0;
  for (int i = 0; i < graph.node_size(); ++i) {
    if (keep[i]) {
      *kept.add_node() = std::move(*graph.mutable_node(i));
    } else {
      ++removed;
    }
  }
  graph.mutable_node()->Swap(kept.mutable_node());

  // Older exports list initializers among the graph inputs too: those go with their initializer.
  std::set<std::string> removed_initializers;
  auto* initializers = graph.mutable_initializer();
  for (int i = initializers->size() - 1; i >= 0; --i) {
    if (needed.count(initializers->Get(i).name()) > 0) continue;
    removed_initializers.insert(initializers->Get(i).name());
    initializers->DeleteSubrange(i, 1);
  }
  auto* inputs = graph.mutable_input();
  for (int i = inputs->size() - 1; i >= 0; --i) {
    if (removed_initializers.count(inputs->Get(i).name()) > 0) inputs->DeleteSubrange(i, 1);
  }
  return removed;
}

const onnx::TensorProto* FindInitializer(const onnx::GraphProto& graph, const std::string& name) {
  for (const auto& tensor : graph.initializer()) {
    if (tensor.name() == name) return &tensor;
  }
  return nullptr;
}

const onnx::AttributeProto* FindAttribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& attribute : node.attribute()) {
    if (attribute.name() == name) return &attribute;
  }
  return nullptr;
}

std::vector<int64_t> Ints(const onnx::NodeProto& node, const std::string& name,
                          std::vector<int64_t> fallback) {
  const onnx::AttributeProto* a = FindAttribute(node, name);
  if (a == nullptr) return fallback;
  return {a->ints().begin(), a->ints().end()};
}

int64_t Int(const onnx::NodeProto& node, const std::string& name, int64_t fallback) {
  const onnx::AttributeProto* a = FindAttribute(node, name);
  return a == nullptr ? fallback : a->i();
}

float Float(const onnx::NodeProto& node, const std::string& name, float fallback) {
  const onnx::AttributeProto* a = FindAttribute(node, name);
  return a == nullptr ? fallback : a->f();
}

std::string Text(const onnx::NodeProto& node, const std::string& name) {
  const onnx::AttributeProto* a = FindAttribute(node, name);
  return a == nullptr ? "" : a->s();
}

const onnx::NodeProto* NhwcToNchwTranspose(const onnx::GraphProto& graph,
                                           const std::string& tensor) {
  for (const auto& node : graph.node()) {
    if (node.op_type() != "Transpose" || node.input_size() == 0 || node.input(0) != tensor) {
      continue;
    }
    const onnx::AttributeProto* perm = FindAttribute(node, "perm");
    if (perm == nullptr) continue;
    const bool to_nchw = std::vector<int64_t>(perm->ints().begin(), perm->ints().end()) ==
                         std::vector<int64_t>{0, 3, 1, 2};
    return to_nchw ? &node : nullptr;
  }
  return nullptr;
}

void DescribeTensor(onnx::ValueInfoProto& value, const std::string& name, int32_t elem_type,
                    const std::vector<int64_t>& dims) {
  value.set_name(name);
  auto& tensor_type = *value.mutable_type()->mutable_tensor_type();
  tensor_type.set_elem_type(elem_type);
  auto& shape = *tensor_type.mutable_shape();
  shape.clear_dim();
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] >= 0) {
      shape.add_dim()->set_dim_value(dims[i]);
    } else {
      std::string name = i == 0 ? "batch" : "d";
      if (i > 0) name += std::to_string(i);
      shape.add_dim()->set_dim_param(name);
    }
  }
}

std::vector<int64_t> DimsOf(const onnx::TypeProto& type) {
  std::vector<int64_t> dims;
  for (const auto& dim : type.tensor_type().shape().dim()) {
    dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  }
  return dims;
}

std::map<std::string, std::vector<int64_t>> KnownShapes(const onnx::GraphProto& graph) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& list : {graph.input(), graph.value_info(), graph.output()}) {
    for (const auto& value : list) {
      if (value.type().has_tensor_type() && value.type().tensor_type().has_shape()) {
        shapes[value.name()] = DimsOf(value.type());
      }
    }
  }
  for (const auto& tensor : graph.initializer()) {
    shapes[tensor.name()] = std::vector<int64_t>(tensor.dims().begin(), tensor.dims().end());
  }
  return shapes;
}

namespace {

template <typename T>
std::vector<double> FromRaw(const std::string& raw) {
  std::vector<double> values(raw.size() / sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    T value;
    std::memcpy(&value, raw.data() + i * sizeof(T), sizeof(T));
    values[i] = static_cast<double>(value);
  }
  return values;
}

std::vector<double> StoredValues(const onnx::TensorProto& tensor) {
  const bool raw = tensor.has_raw_data();
  switch (tensor.data_type()) {
    case onnx::TensorProto::FLOAT:
      return raw ? FromRaw<float>(tensor.raw_data())
                 : std::vector<double>(tensor.float_data().begin(), tensor.float_data().end());
    case onnx::TensorProto::DOUBLE:
      return raw ? FromRaw<double>(tensor.raw_data())
                 : std::vector<double>(tensor.double_data().begin(), tensor.double_data().end());
    case onnx::TensorProto::INT32:
      return raw ? FromRaw<int32_t>(tensor.raw_data())
                 : std::vector<double>(tensor.int32_data().begin(), tensor.int32_data().end());
    case onnx::TensorProto::INT8:
      // Without raw data, 8-bit values are stored one per int32_data element.
      return raw ? FromRaw<int8_t>(tensor.raw_data())
                 : std::vector<double>(tensor.int32_data().begin(), tensor.int32_data().end());
    case onnx::TensorProto::UINT8:
      return raw ? FromRaw<uint8_t>(tensor.raw_data())
                 : std::vector<double>(tensor.int32_data().begin(), tensor.int32_data().end());
    case onnx::TensorProto::INT64:
      return raw ? FromRaw<int64_t>(tensor.raw_data())
                 : std::vector<double>(tensor.int64_data().begin(), tensor.int64_data().end());
    default:
      throw Error("tensor '" + tensor.name() + "' has ONNX data type " +
                  std::to_string(tensor.data_type()) + ", which fruits does not read");
  }
}

}  // namespace

bool StoresWhatDimsGive(const onnx::TensorProto& tensor) {
  using T = onnx::TensorProto;
  if (tensor.data_location() == T::EXTERNAL) return true;
  const int32_t type = tensor.data_type();
  uint64_t stored = 0, bytes = 0;  // bytes: of one value in raw_data
  if (type == T::FLOAT) {
    stored = tensor.float_data_size(), bytes = 4;
  } else if (type == T::DOUBLE) {
    stored = tensor.double_data_size(), bytes = 8;
  } else if (type == T::INT64) {
    stored = tensor.int64_data_size(), bytes = 8;
  } else if (type == T::UINT32 || type == T::UINT64) {
    stored = tensor.uint64_data_size(), bytes = type == T::UINT32 ? 4 : 8;
  } else if (type == T::INT32 || type == T::INT16 || type == T::UINT16 || type == T::FLOAT16 ||
             type == T::BFLOAT16 || type == T::INT8 || type == T::UINT8 || type == T::BOOL) {
    stored = tensor.int32_data_size();
    bytes = type == T::INT32 ? 4 : type == T::INT8 || type == T::UINT8 || type == T::BOOL ? 1 : 2;
  } else {
    return true;
  }
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() % bytes != 0) return false;
    stored = tensor.raw_data().size() / bytes;
  }
  // The product of the dimensions, never past `stored` (so it cannot overflow).
  const auto& dims = tensor.dims();
  if (std::any_of(dims.begin(), dims.end(), [](int64_t dim) { return dim < 0; })) return false;
  if (std::find(dims.begin(), dims.end(), 0) != dims.end()) return stored == 0;
  uint64_t count = 1;
  for (int64_t dim : dims) {
    if (count > stored / static_cast<uint64_t>(dim)) return false;
    count *= static_cast<uint64_t>(dim);
  }
  return count == stored;
}

std::vector<double> TensorValues(const onnx::TensorProto& tensor) {
  std::vector<double> values = StoredValues(tensor);
  if (!StoresWhatDimsGive(tensor)) {
    throw Error("tensor '" + tensor.name() + "' stores " + std::to_string(values.size()) +
                " values, not the number its dimensions give");
  }
  return values;
}

}  // namespace fruits::model::graph
