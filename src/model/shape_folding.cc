#include "model/shape_folding.h"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "model/graph_edit.h"
#include "model/initializer_rewrites.h"

namespace fruits::model {

namespace {

// The two batch sizes every value is evaluated at. An element that is the first in one run and
// the second in the other is the batch itself; a constant cannot be both.
constexpr std::array<int64_t, 2> kBatches = {5, 7};
// Larger integer tensors are data, not shape arithmetic: left to the backends.
constexpr int64_t kMaxElements = 4096;

struct IntTensor {
  std::vector<int64_t> dims;
  std::vector<int64_t> values;
};

// A value at each of the two batch sizes, and its ONNX element type (INT64 or INT32).
struct Folded {
  std::array<IntTensor, 2> at;
  int32_t type = onnx::TensorProto::INT64;
};

using Shapes = std::map<std::string, std::vector<int64_t>>;

int64_t Count(const std::vector<int64_t>& dims) {
  int64_t count = 1;
  for (int64_t dim : dims) {
    if (dim < 0 || (dim > 0 && count > kMaxElements / dim)) return kMaxElements + 1;
    count *= dim;
  }
  return count;
}

bool IsInteger(int32_t type) {
  return type == onnx::TensorProto::INT64 || type == onnx::TensorProto::INT32;
}

// The values of a small INT64 or INT32 tensor stored in the model; nullopt for any other.
std::optional<IntTensor> ReadIntTensor(const onnx::TensorProto& tensor) {
  if (!IsInteger(tensor.data_type()) || tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    return std::nullopt;
  }
  IntTensor result{{tensor.dims().begin(), tensor.dims().end()}, {}};
  const int64_t count = Count(result.dims);
  if (count > kMaxElements) return std::nullopt;
  const bool int64 = tensor.data_type() == onnx::TensorProto::INT64;
  if (tensor.has_raw_data()) {
    const std::string& raw = tensor.raw_data();
    const size_t size = int64 ? sizeof(int64_t) : sizeof(int32_t);
    if (raw.size() != static_cast<size_t>(count) * size) return std::nullopt;
    for (int64_t i = 0; i < count; ++i) {
      int64_t value64 = 0;
      int32_t value32 = 0;
      std::memcpy(int64 ? static_cast<void*>(&value64) : &value32, raw.data() + i * size, size);
      result.values.push_back(int64 ? value64 : value32);
    }
  } else if (int64) {
    result.values.assign(tensor.int64_data().begin(), tensor.int64_data().end());
  } else {
    result.values.assign(tensor.int32_data().begin(), tensor.int32_data().end());
  }
  if (static_cast<int64_t>(result.values.size()) != count) return std::nullopt;
  return result;
}

// Calls f(index) for each multi-index of `dims` in row-major order.
template <typename F>
void ForEachIndex(const std::vector<int64_t>& dims, F f) {
  std::vector<int64_t> index(dims.size(), 0);
  const int64_t count = Count(dims);
  for (int64_t n = 0; n < count; ++n) {
    f(index);
    for (int axis = static_cast<int>(dims.size()) - 1; axis >= 0; --axis) {
      if (++index[axis] < dims[axis]) break;
      index[axis] = 0;
    }
  }
}

std::vector<int64_t> RowMajorStrides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (int axis = static_cast<int>(dims.size()) - 2; axis >= 0; --axis) {
    strides[axis] = strides[axis + 1] * dims[axis + 1];
  }
  return strides;
}

// An axis attribute or input in [-rank, rank) as [0, rank); nullopt outside.
std::optional<int64_t> NormalAxis(int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return std::nullopt;
  return axis < 0 ? axis + r : axis;
}

// Elementwise op with numpy broadcasting; op returns nullopt to refuse (a division by zero).
template <typename Op>
std::optional<IntTensor> Broadcast(const IntTensor& a, const IntTensor& b, Op op) {
  const size_t rank = std::max(a.dims.size(), b.dims.size());
  IntTensor out{std::vector<int64_t>(rank), {}};
  std::array<std::vector<int64_t>, 2> strides = {std::vector<int64_t>(rank, 0),
                                                 std::vector<int64_t>(rank, 0)};
  const std::array<const IntTensor*, 2> operands = {&a, &b};
  for (size_t side = 0; side < 2; ++side) {
    const std::vector<int64_t>& dims = operands[side]->dims;
    const std::vector<int64_t> own = RowMajorStrides(dims);
    for (size_t i = 0; i < dims.size(); ++i) {
      const size_t axis = rank - dims.size() + i;
      if (dims[i] != 1) strides[side][axis] = own[i];
      if (dims[i] != 1 && out.dims[axis] > 1 && out.dims[axis] != dims[i]) return std::nullopt;
      out.dims[axis] = std::max(out.dims[axis], dims[i]);
    }
  }
  if (Count(out.dims) > kMaxElements) return std::nullopt;
  bool refused = false;
  ForEachIndex(out.dims, [&](const std::vector<int64_t>& index) {
    int64_t ia = 0, ib = 0;
    for (size_t axis = 0; axis < rank; ++axis) {
      ia += index[axis] * strides[0][axis];
      ib += index[axis] * strides[1][axis];
    }
    std::optional<int64_t> value = op(a.values[ia], b.values[ib]);
    refused = refused || !value;
    out.values.push_back(value.value_or(0));
  });
  if (refused) return std::nullopt;
  return out;
}

std::optional<IntTensor> Arithmetic(const std::string& op, const IntTensor& a, const IntTensor& b) {
  return Broadcast(a, b, [&](int64_t x, int64_t y) -> std::optional<int64_t> {
    if (op == "Add") return x + y;
    if (op == "Sub") return x - y;
    if (op == "Mul") return x * y;
    if (y == 0) return std::nullopt;
    return x / y;  // integer Div truncates, as onnxruntime does
  });
}

std::optional<IntTensor> Gather(const IntTensor& data, const IntTensor& indices, int64_t axis) {
  std::optional<int64_t> a = NormalAxis(axis, data.dims.size());
  if (!a) return std::nullopt;
  IntTensor out;
  out.dims.assign(data.dims.begin(), data.dims.begin() + *a);
  out.dims.insert(out.dims.end(), indices.dims.begin(), indices.dims.end());
  out.dims.insert(out.dims.end(), data.dims.begin() + *a + 1, data.dims.end());
  const int64_t n = data.dims[*a];
  const int64_t inner = RowMajorStrides(data.dims)[*a];
  const int64_t outer = Count({data.dims.begin(), data.dims.begin() + *a});
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t index : indices.values) {
      if (index < -n || index >= n) return std::nullopt;
      const int64_t start = (o * n + (index < 0 ? index + n : index)) * inner;
      out.values.insert(out.values.end(), data.values.begin() + start,
                        data.values.begin() + start + inner);
    }
  }
  return out;
}

std::optional<IntTensor> Concat(const std::vector<IntTensor>& parts, int64_t axis) {
  std::optional<int64_t> a = NormalAxis(axis, parts[0].dims.size());
  if (!a) return std::nullopt;
  IntTensor out{parts[0].dims, {}};
  out.dims[*a] = 0;
  for (const IntTensor& part : parts) {
    if (part.dims.size() != out.dims.size()) return std::nullopt;
    for (size_t i = 0; i < out.dims.size(); ++i) {
      if (static_cast<int64_t>(i) != *a && part.dims[i] != out.dims[i]) return std::nullopt;
    }
    out.dims[*a] += part.dims[*a];
  }
  const int64_t outer = Count({out.dims.begin(), out.dims.begin() + *a});
  for (int64_t o = 0; o < outer; ++o) {
    for (const IntTensor& part : parts) {
      const int64_t block = part.dims[*a] * RowMajorStrides(part.dims)[*a];
      out.values.insert(out.values.end(), part.values.begin() + o * block,
                        part.values.begin() + (o + 1) * block);
    }
  }
  return out;
}

// ONNX Slice: per axis, start and end clamped to the dimension, then every step-th element.
std::optional<IntTensor> Slice(const IntTensor& data, const std::vector<int64_t>& starts,
                               const std::vector<int64_t>& ends, std::vector<int64_t> axes,
                               std::vector<int64_t> steps) {
  const size_t rank = data.dims.size();
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return std::nullopt;
  }
  std::vector<int64_t> first(rank, 0), step(rank, 1), dims = data.dims;
  for (size_t i = 0; i < starts.size(); ++i) {
    std::optional<int64_t> a = NormalAxis(axes[i], rank);
    if (!a || steps[i] == 0) return std::nullopt;
    const int64_t dim = data.dims[*a];
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (steps[i] > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      dims[*a] = std::max<int64_t>(0, (end - start + steps[i] - 1) / steps[i]);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      dims[*a] = std::max<int64_t>(0, (start - end - steps[i] - 1) / -steps[i]);
    }
    first[*a] = start;
    step[*a] = steps[i];
  }
  const std::vector<int64_t> strides = RowMajorStrides(data.dims);
  IntTensor out{dims, {}};
  ForEachIndex(dims, [&](const std::vector<int64_t>& index) {
    int64_t source = 0;
    for (size_t axis = 0; axis < rank; ++axis) {
      source += (first[axis] + index[axis] * step[axis]) * strides[axis];
    }
    out.values.push_back(data.values[source]);
  });
  return out;
}

std::optional<IntTensor> Unsqueeze(const IntTensor& data, const std::vector<int64_t>& axes) {
  const size_t rank = data.dims.size() + axes.size();
  std::set<int64_t> inserted;
  for (int64_t axis : axes) {
    std::optional<int64_t> a = NormalAxis(axis, rank);
    if (!a || !inserted.insert(*a).second) return std::nullopt;
  }
  IntTensor out{{}, data.values};
  auto next = data.dims.begin();
  for (size_t axis = 0; axis < rank; ++axis) {
    out.dims.push_back(inserted.contains(static_cast<int64_t>(axis)) ? 1 : *next++);
  }
  return out;
}

std::optional<IntTensor> Squeeze(const IntTensor& data, const std::vector<int64_t>& axes) {
  std::set<int64_t> removed;
  for (int64_t axis : axes) {
    std::optional<int64_t> a = NormalAxis(axis, data.dims.size());
    if (!a || data.dims[*a] != 1) return std::nullopt;
    removed.insert(*a);
  }
  IntTensor out{{}, data.values};
  for (size_t axis = 0; axis < data.dims.size(); ++axis) {
    const bool squeezed =
        axes.empty() ? data.dims[axis] == 1 : removed.contains(static_cast<int64_t>(axis));
    if (!squeezed) out.dims.push_back(data.dims[axis]);
  }
  return out;
}

std::optional<IntTensor> Reshape(const IntTensor& data, const std::vector<int64_t>& target,
                                 bool allow_zero) {
  IntTensor out{target, data.values};
  int64_t known = 1;
  int inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allow_zero) {
      if (i >= data.dims.size()) return std::nullopt;
      out.dims[i] = data.dims[i];
    }
    if (out.dims[i] == -1) {
      if (inferred >= 0) return std::nullopt;
      inferred = static_cast<int>(i);
    } else if (out.dims[i] < 0) {
      return std::nullopt;
    } else {
      known *= out.dims[i];
    }
  }
  const auto count = static_cast<int64_t>(data.values.size());
  if (inferred >= 0) {
    if (known == 0 || count % known != 0) return std::nullopt;
    out.dims[inferred] = count / known;
  }
  if (Count(out.dims) != count) return std::nullopt;
  return out;
}

std::optional<IntTensor> Range(const IntTensor& start, const IntTensor& limit,
                               const IntTensor& delta) {
  if (start.values.size() != 1 || limit.values.size() != 1 || delta.values.size() != 1 ||
      delta.values[0] == 0) {
    return std::nullopt;
  }
  const int64_t first = start.values[0], end = limit.values[0], step = delta.values[0];
  const int64_t n = std::max<int64_t>(0, (end - first + step + (step > 0 ? -1 : 1)) / step);
  if (n > kMaxElements) return std::nullopt;
  IntTensor out{{n}, {}};
  for (int64_t i = 0; i < n; ++i) out.values.push_back(first + i * step);
  return out;
}

// Shape's optional start and end attributes (opset 15) select a range of the dimensions.
std::optional<IntTensor> ShapeOf(const onnx::NodeProto& node, const std::vector<int64_t>& dims) {
  IntTensor all{{static_cast<int64_t>(dims.size())}, dims};
  const int64_t end = graph::Int(node, "end", static_cast<int64_t>(dims.size()));
  return Slice(all, {graph::Int(node, "start", 0)}, {end}, {}, {});
}

// The axes an Unsqueeze or Squeeze reads: an attribute (before opset 13) or its second input.
std::vector<int64_t> AxesOf(const onnx::NodeProto& node, const std::vector<IntTensor>& inputs) {
  if (graph::FindAttribute(node, "axes") != nullptr) return graph::Ints(node, "axes", {});
  return inputs.size() > 1 ? inputs[1].values : std::vector<int64_t>{};
}

// One node at one batch size. `inputs` holds the node's inputs in order ("" inputs as empty
// tensors); `shape` the first input's shape for Shape and Size.
std::optional<IntTensor> Compute(const onnx::NodeProto& node, const std::vector<IntTensor>& in,
                                 const std::vector<int64_t>* shape) {
  const std::string& op = node.op_type();
  if (op == "Shape") return ShapeOf(node, *shape);
  if (op == "Size") {
    int64_t size = 1;
    for (int64_t dim : *shape) size *= dim;
    return IntTensor{{}, {size}};
  }
  if (op == "Identity" || op == "Cast") return in[0];
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    return Arithmetic(op, in[0], in[1]);
  }
  if (op == "Gather") return Gather(in[0], in[1], graph::Int(node, "axis", 0));
  if (op == "Concat") return Concat(in, graph::Int(node, "axis", 0));
  if (op == "Unsqueeze") return Unsqueeze(in[0], AxesOf(node, in));
  if (op == "Squeeze") return Squeeze(in[0], AxesOf(node, in));
  if (op == "Reshape") return Reshape(in[0], in[1].values, graph::Int(node, "allowzero", 0) != 0);
  if (op == "Range") return Range(in[0], in[1], in[2]);
  if (op == "Expand") {
    const IntTensor zeros{in[1].values, std::vector<int64_t>(Count(in[1].values), 0)};
    if (Count(in[1].values) > kMaxElements) return std::nullopt;
    return Broadcast(in[0], zeros, [](int64_t x, int64_t) -> std::optional<int64_t> { return x; });
  }
  if (op == "ConstantOfShape") {
    const onnx::AttributeProto* value = graph::FindAttribute(node, "value");
    std::optional<IntTensor> fill = value ? ReadIntTensor(value->t()) : std::nullopt;
    if (!fill || fill->values.size() != 1 || Count(in[0].values) > kMaxElements) {
      return std::nullopt;
    }
    return IntTensor{in[0].values, std::vector<int64_t>(Count(in[0].values), fill->values[0])};
  }
  if (op == "Slice") {
    if (graph::FindAttribute(node, "starts") != nullptr) {  // before opset 10
      return Slice(in[0], graph::Ints(node, "starts", {}), graph::Ints(node, "ends", {}),
                   graph::Ints(node, "axes", {}), {});
    }
    const auto optional = [&](size_t i) {
      return i < in.size() ? in[i].values : std::vector<int64_t>{};
    };
    return Slice(in[0], in[1].values, in[2].values, optional(3), optional(4));
  }
  return std::nullopt;
}

// The element type of a node's result: Shape and Size give INT64, Cast its `to`,
// ConstantOfShape its value's, the others their first input's.
std::optional<int32_t> ResultType(const onnx::NodeProto& node, int32_t first_input_type) {
  const std::string& op = node.op_type();
  if (op == "Shape" || op == "Size") return onnx::TensorProto::INT64;
  if (op == "Cast") return static_cast<int32_t>(graph::Int(node, "to", 0));
  if (op == "ConstantOfShape") {
    const onnx::AttributeProto* value = graph::FindAttribute(node, "value");
    if (value == nullptr) return std::nullopt;
    return value->t().data_type();
  }
  return first_input_type;
}

const std::set<std::string>& FoldableOperators() {
  static const std::set<std::string> kOperators = {
      "Add",      "Cast", "Concat",   "ConstantOfShape", "Div",   "Expand", "Gather",
      "Identity", "Mul",  "Range",    "Reshape",         "Shape", "Size",   "Slice",
      "Squeeze",  "Sub",  "Unsqueeze"};
  return kOperators;
}

// The node's value at both batch sizes, when all it reads is known (for Shape and Size: the
// input's shape at both).
std::optional<Folded> Evaluate(const onnx::NodeProto& node,
                               const std::map<std::string, Folded>& values,
                               const std::array<Shapes, 2>& shapes) {
  if (!node.domain().empty() || node.output_size() != 1 || node.input_size() == 0 ||
      !FoldableOperators().contains(node.op_type())) {
    return std::nullopt;
  }
  const bool reads_shape = node.op_type() == "Shape" || node.op_type() == "Size";
  Folded result;
  int32_t first_type = onnx::TensorProto::INT64;
  for (size_t run = 0; run < 2; ++run) {
    std::vector<IntTensor> inputs;
    const std::vector<int64_t>* shape = nullptr;
    if (reads_shape) {
      auto known = shapes[run].find(node.input(0));
      if (known == shapes[run].end() || std::any_of(known->second.begin(), known->second.end(),
                                                    [](int64_t dim) { return dim < 0; })) {
        return std::nullopt;
      }
      shape = &known->second;
    } else {
      for (const std::string& input : node.input()) {
        if (input.empty()) {
          inputs.emplace_back();
          continue;
        }
        auto known = values.find(input);
        if (known == values.end()) return std::nullopt;
        inputs.push_back(known->second.at[run]);
      }
      first_type = values.at(node.input(0)).type;
    }
    std::optional<IntTensor> value = Compute(node, inputs, shape);
    if (!value || Count(value->dims) > kMaxElements) return std::nullopt;
    result.at[run] = std::move(*value);
  }
  if (result.at[0].dims != result.at[1].dims) return std::nullopt;
  std::optional<int32_t> type = ResultType(node, first_type);
  if (!type || !IsInteger(*type)) return std::nullopt;
  result.type = *type;
  if (result.type == onnx::TensorProto::INT32) {
    for (IntTensor& run : result.at) {
      for (int64_t& value : run.values) value = static_cast<int32_t>(value);
    }
  }
  return result;
}

// The graph's shapes when the image batch is `batch`, inferred (with ONNX's data propagation,
// which follows shape arithmetic into Reshape) on a copy that holds the weights' dimensions
// but not their values.
Shapes ShapesAtBatch(const OnnxModel& model, int64_t batch) {
  const onnx::ModelProto& source = model.proto();
  onnx::ModelProto skeleton;
  skeleton.set_ir_version(source.ir_version());
  *skeleton.mutable_opset_import() = source.opset_import();
  *skeleton.mutable_functions() = source.functions();
  onnx::GraphProto& graph = *skeleton.mutable_graph();
  *graph.mutable_node() = source.graph().node();
  *graph.mutable_input() = source.graph().input();
  for (const onnx::ValueInfoProto& output : source.graph().output()) {
    onnx::ValueInfoProto& copy = *graph.add_output();
    copy.set_name(output.name());  // the stated shape has the exported batch: inferred anew
  }
  for (const onnx::TensorProto& tensor : source.graph().initializer()) {
    if (ReadIntTensor(tensor)) {
      *graph.add_initializer() = tensor;
      continue;
    }
    onnx::TensorProto& copy = *graph.add_initializer();
    copy.set_name(tensor.name());
    copy.set_data_type(tensor.data_type());
    *copy.mutable_dims() = tensor.dims();
  }
  for (onnx::ValueInfoProto& input : *graph.mutable_input()) {
    if (input.name() != model.input().name) continue;
    input.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(
        batch);
  }
  try {
    onnx::ShapeInferenceOptions options{/*check_type=*/false, /*error_mode=*/0,
                                        /*enable_data_propagation=*/true};
    onnx::shape_inference::InferShapes(skeleton, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception&) {
    // Shapes inference could not find are not folded.
  }
  return graph::KnownShapes(graph);
}

// The initializer values that a folded value becomes for the nodes `readers` (not folded);
// nullopt when the batch enters it other than as the first element of their Reshape target.
std::optional<std::vector<int64_t>> Materialized(const std::string& name, const Folded& value,
                                                 const std::vector<onnx::NodeProto*>& readers,
                                                 const std::array<Shapes, 2>& shapes) {
  const IntTensor& a = value.at[0];
  const IntTensor& b = value.at[1];
  if (a.values == b.values) return a.values;
  if (a.dims.size() != 1 || a.values.empty() || a.values[0] != kBatches[0] ||
      b.values[0] != kBatches[1] ||
      !std::equal(a.values.begin() + 1, a.values.end(), b.values.begin() + 1)) {
    return std::nullopt;
  }
  for (const onnx::NodeProto* reader : readers) {
    if (reader->op_type() != "Reshape" || reader->input_size() < 2 || reader->input(1) != name ||
        reader->input(0) == name || graph::Int(*reader, "allowzero", 0) != 0) {
      return std::nullopt;
    }
    for (size_t run = 0; run < 2; ++run) {
      auto data = shapes[run].find(reader->input(0));
      if (data == shapes[run].end() || data->second.empty() || data->second[0] != kBatches[run]) {
        return std::nullopt;
      }
    }
  }
  std::vector<int64_t> values = a.values;
  values[0] = 0;  // Reshape: copy the data's first dimension, the batch
  return values;
}

// One round: evaluates what can be, gives the nodes that are not folded initializers to read
// and removes the nodes left unread. Returns whether the graph changed; adds to `removed`.
bool FoldOnce(OnnxModel& model, int& removed) {
  const std::array<Shapes, 2> shapes = {ShapesAtBatch(model, kBatches[0]),
                                        ShapesAtBatch(model, kBatches[1])};
  onnx::GraphProto& graph = *model.mutable_proto().mutable_graph();
  std::map<std::string, Folded> values;
  for (const onnx::TensorProto& tensor : graph.initializer()) {
    if (std::optional<IntTensor> known = ReadIntTensor(tensor)) {
      values[tensor.name()] = {{*known, *known}, tensor.data_type()};
    }
  }
  std::set<std::string> computed;
  std::vector<bool> folded(graph.node_size(), false);
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    if (std::optional<Folded> value = Evaluate(node, values, shapes)) {
      values[node.output(0)] = std::move(*value);
      computed.insert(node.output(0));
      folded[i] = true;
    }
  }
  std::map<std::string, std::vector<onnx::NodeProto*>> readers;
  for (int i = 0; i < graph.node_size(); ++i) {
    if (folded[i]) continue;
    for (const std::string& input : graph.node(i).input()) {
      if (computed.contains(input)) readers[input].push_back(graph.mutable_node(i));
    }
  }
  std::set<std::string> names = TensorNames(graph);
  bool changed = false;
  for (const auto& [name, nodes] : readers) {
    const Folded& value = values.at(name);
    std::optional<std::vector<int64_t>> initializer = Materialized(name, value, nodes, shapes);
    if (!initializer) continue;
    std::string folded_name = name + "_folded";
    while (names.contains(folded_name)) folded_name += "_";
    names.insert(folded_name);
    AddInitializer(model.mutable_proto(),
                   IntInitializer(folded_name, value.type, value.at[0].dims, *initializer));
    for (onnx::NodeProto* node : nodes) {
      for (std::string& input : *node->mutable_input()) {
        if (input == name) input = folded_name;
      }
    }
    changed = true;
  }
  if (!changed) return false;
  removed += graph::RemoveUnused(graph);
  return true;
}

}  // namespace

int FoldShapeArithmetic(OnnxModel& model) {
  int removed = 0;
  while (FoldOnce(model, removed)) model.Refresh();
  return removed;
}

}  // namespace fruits::model
