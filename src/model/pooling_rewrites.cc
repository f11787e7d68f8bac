#include "model/pooling_rewrites.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <optional>
#include <set>

#include "model/graph_edit.h"
#include "model/initializer_rewrites.h"

namespace fruits::model {

namespace {

void RemoveAttribute(onnx::NodeProto& node, const std::string& name) {
  auto& attributes = *node.mutable_attribute();
  for (int i = attributes.size() - 1; i >= 0; --i) {
    if (attributes[i].name() == name) attributes.DeleteSubrange(i, 1);
  }
}

void SetInts(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values) {
  RemoveAttribute(node, name);
  onnx::AttributeProto& attribute = *node.add_attribute();
  attribute.set_name(name);
  attribute.set_type(onnx::AttributeProto::INTS);
  for (int64_t value : values) attribute.add_ints(value);
}

// A pool's pads [begin..., end...] (zeros when absent); nullopt with an auto_pad other than
// NOTSET (SAME is made explicit before) or a malformed attribute.
std::optional<std::vector<int64_t>> Pads(const onnx::NodeProto& node) {
  const std::string auto_pad = graph::Text(node, "auto_pad");
  if (!auto_pad.empty() && auto_pad != "NOTSET") return std::nullopt;
  const size_t axes = graph::Ints(node, "kernel_shape", {}).size();
  std::vector<int64_t> pads = graph::Ints(node, "pads", std::vector<int64_t>(2 * axes, 0));
  if (axes == 0 || pads.size() != 2 * axes) return std::nullopt;
  return pads;
}

bool IsPool(const onnx::NodeProto& node) {
  return node.domain().empty() && (node.op_type() == "MaxPool" || node.op_type() == "AveragePool");
}

// The end pads that give ceil mode's output size without it; nullopt where torch's rule and
// ONNX's formula disagree or the sizes do not work out.
std::optional<std::vector<int64_t>> CeilModePads(const onnx::NodeProto& node,
                                                 const std::vector<int64_t>& spatial,
                                                 std::vector<int64_t> pads) {
  const size_t axes = spatial.size();
  const std::vector<int64_t> kernel = graph::Ints(node, "kernel_shape", {});
  const std::vector<int64_t> strides = graph::Ints(node, "strides", std::vector<int64_t>(axes, 1));
  const std::vector<int64_t> dilations =
      graph::Ints(node, "dilations", std::vector<int64_t>(axes, 1));
  if (kernel.size() != axes || strides.size() != axes || dilations.size() != axes) {
    return std::nullopt;
  }
  for (size_t i = 0; i < axes; ++i) {
    const int64_t window = (kernel[i] - 1) * dilations[i] + 1;
    const int64_t span = spatial[i] + pads[i] + pads[axes + i] - window;
    if (spatial[i] < 1 || strides[i] < 1 || span < 0) return std::nullopt;
    const int64_t out = (span + strides[i] - 1) / strides[i] + 1;
    // torch drops a last window that starts past the input and its begin padding.
    if ((out - 1) * strides[i] >= spatial[i] + pads[i]) return std::nullopt;
    const int64_t needed = (out - 1) * strides[i] + window - spatial[i] - pads[i];
    pads[axes + i] = std::max(pads[axes + i], needed);
    if ((spatial[i] + pads[i] + pads[axes + i] - window) / strides[i] + 1 != out) {
      return std::nullopt;
    }
  }
  return pads;
}

// ceil_mode 1 as 0 with end pads; returns whether the node changed.
bool RewriteCeilMode(const OnnxModel& model, onnx::NodeProto& node) {
  if (!IsPool(node) || graph::Int(node, "ceil_mode", 0) == 0) return false;
  if (node.op_type() == "AveragePool" && graph::Int(node, "count_include_pad", 0) != 0) {
    return false;
  }
  if (node.output_size() > 1 && !node.output(1).empty()) return false;  // MaxPool's indices
  const std::optional<std::vector<int64_t>> shape = model.TensorShape(node.input(0));
  const std::optional<std::vector<int64_t>> pads = Pads(node);
  if (!shape || shape->size() < 3 || !pads) return false;
  const std::vector<int64_t> spatial(shape->begin() + 2, shape->end());
  if (pads->size() != 2 * spatial.size()) return false;
  const std::optional<std::vector<int64_t>> ceil_pads = CeilModePads(node, spatial, *pads);
  if (!ceil_pads) return false;
  SetInts(node, "pads", *ceil_pads);
  RemoveAttribute(node, "ceil_mode");
  return true;
}

// The Pad node giving `node`'s input its pads as zeros: the pads as an input (opset 11 on) or
// an attribute (before).
onnx::NodeProto ZeroPad(onnx::ModelProto& model, const onnx::NodeProto& node,
                        const std::vector<int64_t>& pads, const std::string& output,
                        int64_t opset) {
  const size_t axes = pads.size() / 2;
  std::vector<int64_t> all(2 * (axes + 2), 0);  // [N, C, spatial...] begins, then ends
  for (size_t i = 0; i < axes; ++i) {
    all[2 + i] = pads[i];
    all[axes + 4 + i] = pads[axes + i];
  }
  onnx::NodeProto pad;
  pad.set_op_type("Pad");
  pad.set_name(node.name() + "_pad");
  pad.add_input(node.input(0));
  pad.add_output(output);
  if (opset >= 11) {
    const std::string pads_name = output + "_pads";
    AddInitializer(model, IntInitializer(pads_name, onnx::TensorProto::INT64,
                                         {static_cast<int64_t>(all.size())}, all));
    pad.add_input(pads_name);
  } else {
    SetInts(pad, "pads", all);
  }
  return pad;
}

// AveragePool counting its pads: a Pad node first; returns the Pad node to insert before it.
std::optional<onnx::NodeProto> PadCountedAverage(OnnxModel& model, onnx::NodeProto& node,
                                                 std::set<std::string>& names) {
  if (!IsPool(node) || node.op_type() != "AveragePool" ||
      graph::Int(node, "count_include_pad", 0) == 0) {
    return std::nullopt;
  }
  const std::optional<std::vector<int64_t>> pads = Pads(node);
  if (!pads || std::all_of(pads->begin(), pads->end(), [](int64_t p) { return p == 0; })) {
    return std::nullopt;
  }
  std::string padded = node.input(0) + "_padded";
  while (names.contains(padded)) padded += "_";
  names.insert(padded);
  onnx::NodeProto pad = ZeroPad(model.mutable_proto(), node, *pads, padded, model.opset());
  node.set_input(0, padded);
  SetInts(node, "pads", std::vector<int64_t>(pads->size(), 0));
  // Without pads the count of a window cut by ceil mode is the same whether or not pads count.
  RemoveAttribute(node, "count_include_pad");
  return pad;
}

}  // namespace

PoolingRewrites RewritePooling(OnnxModel& model) {
  PoolingRewrites count;
  onnx::GraphProto& graph = *model.mutable_proto().mutable_graph();
  std::set<std::string> names = TensorNames(graph);
  onnx::GraphProto rewritten;
  for (onnx::NodeProto& node : *graph.mutable_node()) {
    if (std::optional<onnx::NodeProto> pad = PadCountedAverage(model, node, names)) {
      *rewritten.add_node() = std::move(*pad);
      ++count.padded_averages;
    }
    *rewritten.add_node() = std::move(node);
  }
  graph.mutable_node()->Swap(rewritten.mutable_node());
  if (count.padded_averages > 0) model.Refresh();  // the padded inputs' shapes
  for (onnx::NodeProto& node : *graph.mutable_node()) {
    if (RewriteCeilMode(model, node)) ++count.ceil_mode;
  }
  return count;
}

}  // namespace fruits::model
