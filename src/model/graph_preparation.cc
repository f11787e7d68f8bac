#include "model/graph_preparation.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <set>

#include "model/graph_edit.h"
#include "model/initializer_rewrites.h"
#include "model/pooling_rewrites.h"
#include "model/shape_folding.h"

namespace fruits::model {

namespace {

// The kernel's spatial size: kernel_shape, or a Conv's weight dimensions past the first two.
std::optional<std::vector<int64_t>> KernelShape(const onnx::GraphProto& graph,
                                                const onnx::NodeProto& node) {
  std::vector<int64_t> kernel = graph::Ints(node, "kernel_shape", {});
  if (!kernel.empty()) return kernel;
  if (node.op_type() != "Conv" || node.input_size() < 2) return std::nullopt;
  const onnx::TensorProto* weights = graph::FindInitializer(graph, node.input(1));
  if (weights == nullptr || weights->dims_size() < 3) return std::nullopt;
  return std::vector<int64_t>(weights->dims().begin() + 2, weights->dims().end());
}

// Explicit pads [begin..., end...] for a SAME node over `spatial` input sizes; nullopt when an
// attribute is malformed (the node is left for the backend to judge).
std::optional<std::vector<int64_t>> SamePads(const onnx::NodeProto& node,
                                             const std::vector<int64_t>& spatial,
                                             const std::vector<int64_t>& kernel, bool upper) {
  const size_t axes = spatial.size();
  const std::vector<int64_t> strides = graph::Ints(node, "strides", std::vector<int64_t>(axes, 1));
  const std::vector<int64_t> dilations =
      graph::Ints(node, "dilations", std::vector<int64_t>(axes, 1));
  if (kernel.size() != axes || strides.size() != axes || dilations.size() != axes) {
    return std::nullopt;
  }
  std::vector<int64_t> pads(2 * axes);
  for (size_t i = 0; i < axes; ++i) {
    if (strides[i] < 1 || spatial[i] < 1) return std::nullopt;
    const int64_t out = (spatial[i] + strides[i] - 1) / strides[i];
    const int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i]);
    const int64_t smaller = total / 2;
    pads[i] = upper ? smaller : total - smaller;
    pads[axes + i] = total - pads[i];
  }
  return pads;
}

void SetExplicitPads(onnx::NodeProto& node, const std::vector<int64_t>& pads) {
  auto& attributes = *node.mutable_attribute();
  for (int i = attributes.size() - 1; i >= 0; --i) {
    if (attributes[i].name() == "auto_pad" || attributes[i].name() == "pads") {
      attributes.DeleteSubrange(i, 1);
    }
  }
  onnx::AttributeProto& attribute = *node.add_attribute();
  attribute.set_name("pads");
  attribute.set_type(onnx::AttributeProto::INTS);
  for (int64_t pad : pads) attribute.add_ints(pad);
}

// auto_pad SAME_* as explicit pads; returns how many nodes changed.
int ExplicitSamePads(OnnxModel& model) {
  static const std::set<std::string> kWindowed = {"Conv", "MaxPool", "AveragePool", "LpPool"};
  onnx::GraphProto& graph = *model.mutable_proto().mutable_graph();
  int changed = 0;
  for (onnx::NodeProto& node : *graph.mutable_node()) {
    if (!kWindowed.contains(node.op_type())) continue;
    const onnx::AttributeProto* auto_pad = graph::FindAttribute(node, "auto_pad");
    if (auto_pad == nullptr) continue;
    const bool upper = auto_pad->s() == "SAME_UPPER";
    if (!upper && auto_pad->s() != "SAME_LOWER") continue;
    const std::optional<std::vector<int64_t>> shape = model.TensorShape(node.input(0));
    const std::optional<std::vector<int64_t>> kernel = KernelShape(graph, node);
    if (!shape || shape->size() < 3 || !kernel) continue;
    const std::optional<std::vector<int64_t>> pads =
        SamePads(node, std::vector<int64_t>(shape->begin() + 2, shape->end()), *kernel, upper);
    if (!pads) continue;
    SetExplicitPads(node, *pads);
    ++changed;
  }
  return changed;
}

}  // namespace

std::vector<std::string> PrepareGraph(OnnxModel& model) {
  std::vector<std::string> rewrites;
  const auto count = [&](int n, const std::string& what) {
    if (n > 0) rewrites.push_back(std::to_string(n) + " " + what);
  };
  const int constants = ConstantsToInitializers(model.mutable_proto());
  const int copies = BypassCopiesOfInitializers(model.mutable_proto());
  count(constants, "Constant nodes made initializers");
  count(copies, "Identity/Dropout nodes of initializers bypassed");
  if (constants + copies > 0) model.Refresh();
  count(FoldShapeArithmetic(model), "shape arithmetic nodes folded into initializers");
  const int same = ExplicitSamePads(model);
  count(same, "auto_pad SAME_UPPER/SAME_LOWER nodes given explicit pads");
  if (same > 0) model.Refresh();
  const PoolingRewrites pooling = RewritePooling(model);
  count(pooling.padded_averages, "AveragePool nodes counting pads given a Pad node");
  count(pooling.ceil_mode, "ceil_mode pools given end pads instead");
  if (pooling.ceil_mode + pooling.padded_averages > 0) model.Refresh();
  return rewrites;
}

}  // namespace fruits::model
