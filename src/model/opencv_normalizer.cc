#include "model/opencv_normalizer.h"

#include <onnx/onnx_pb.h>

#include "model/graph_edit.h"

namespace fruits::model {

namespace {

// Constant(value=T) -> initializer T named after the node's output.
int FoldConstants(onnx::GraphProto& graph) {
  int folded = 0;
  auto* nodes = graph.mutable_node();
  for (int i = nodes->size() - 1; i >= 0; --i) {
    const onnx::NodeProto& node = nodes->Get(i);
    if (node.op_type() != "Constant") continue;
    const onnx::AttributeProto* value = graph::FindAttribute(node, "value");
    if (value == nullptr || !value->has_t()) continue;
    onnx::TensorProto& tensor = *graph.add_initializer();
    tensor = value->t();
    tensor.set_name(node.output(0));
    nodes->DeleteSubrange(i, 1);
    ++folded;
  }
  return folded;
}

// Identity and Dropout are copies at inference: their readers read the input instead. When the
// copy is a graph output, the producer of its input writes the output name directly.
int RemovePassThrough(onnx::GraphProto& graph) {
  int removed = 0;
  for (int i = 0; i < graph.node_size();) {
    const onnx::NodeProto& node = graph.node(i);
    const bool dropout_mask_used =
        node.op_type() == "Dropout" && node.output_size() > 1 && !node.output(1).empty();
    if ((node.op_type() != "Identity" && node.op_type() != "Dropout") || dropout_mask_used) {
      ++i;
      continue;
    }
    const std::string input = node.input(0);
    const std::string output = node.output(0);
    if (graph::IsGraphOutput(graph, output)) {
      auto producers = graph::Producers(graph);
      auto producer = producers.find(input);
      if (producer == producers.end() || graph::UseCounts(graph)[input] > 1) {
        ++i;  // the input is a graph input, an initializer or read elsewhere: keep the copy
        continue;
      }
      for (int k = 0; k < graph.node(producer->second).output_size(); ++k) {
        if (graph.node(producer->second).output(k) == input) {
          graph.mutable_node(producer->second)->set_output(k, output);
        }
      }
    } else {
      graph::ReplaceUses(graph, output, input);
    }
    graph.mutable_node()->DeleteSubrange(i, 1);
    ++removed;
  }
  return removed;
}

// Clip(x, min, max) with constant bounds -> Clip(x) {min, max}.
int ClipInputsToAttributes(onnx::GraphProto& graph) {
  int rewritten = 0;
  for (auto& node : *graph.mutable_node()) {
    if (node.op_type() != "Clip" || node.input_size() < 2) continue;
    // Only scalar constant bounds have an attribute form; anything else stays as it is.
    std::vector<std::pair<std::string, float>> bounds;
    bool scalar_constants = true;
    for (int k = 1; k < node.input_size() && scalar_constants; ++k) {
      if (node.input(k).empty()) continue;
      const onnx::TensorProto* bound = graph::FindInitializer(graph, node.input(k));
      std::vector<double> values;
      if (bound != nullptr) values = graph::TensorValues(*bound);
      scalar_constants = values.size() == 1;
      if (scalar_constants) bounds.emplace_back(k == 1 ? "min" : "max", values[0]);
    }
    if (!scalar_constants) continue;
    for (const auto& [name, value] : bounds) {
      auto& attribute = *node.add_attribute();
      attribute.set_name(name);
      attribute.set_type(onnx::AttributeProto::FLOAT);
      attribute.set_f(value);
    }
    node.mutable_input()->DeleteSubrange(1, node.input_size() - 1);
    ++rewritten;
  }
  return rewritten;
}

}  // namespace

std::vector<std::string> NormalizeForOpenCv(onnx::ModelProto& model) {
  onnx::GraphProto& graph = *model.mutable_graph();
  std::vector<std::string> changes;
  auto note = [&changes](int count, const std::string& what) {
    if (count > 0) changes.push_back(what + ": " + std::to_string(count));
  };
  note(FoldConstants(graph), "Constant nodes folded into initializers");
  note(RemovePassThrough(graph), "Identity/Dropout nodes removed");
  note(ClipInputsToAttributes(graph), "Clip bounds turned from inputs into attributes");
  note(graph::RemoveUnused(graph), "unused nodes removed");
  return changes;
}

}  // namespace fruits::model
