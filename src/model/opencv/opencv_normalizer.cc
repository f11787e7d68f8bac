#include "model/opencv/opencv_normalizer.h"

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

bool IsComputed(const onnx::GraphProto& graph, const std::string& tensor) {
  return graph::FindInitializer(graph, tensor) == nullptr;
}

// A per-channel scale [N, C, 1, 1] combined with a map [N, C, H, W] (squeeze-and-excitation,
// EfficientNet): OpenCV 4.6 fixes the broadcast axis at import with batch 1 and fails on larger
// batches. Resizing the scale to [N, C, H, W] first (nearest: a copy) gives equal shapes, which it
// combines element by element at any batch size.
int BroadcastScalesOverMaps(onnx::ModelProto& model) {
  onnx::GraphProto& graph = *model.mutable_graph();
  const auto shapes = graph::KnownShapes(graph);
  int64_t opset = 0;
  for (const auto& import : model.opset_import()) {
    if (import.domain().empty() || import.domain() == "ai.onnx") opset = import.version();
  }
  auto shape_of = [&](const std::string& tensor) {
    auto it = shapes.find(tensor);
    return it == shapes.end() ? std::vector<int64_t>{} : it->second;
  };
  auto is_scale_over = [](const std::vector<int64_t>& scale, const std::vector<int64_t>& map) {
    return scale.size() == 4 && map.size() == 4 && scale[1] == map[1] && scale[1] > 0 &&
           scale[2] == 1 && scale[3] == 1 && map[2] > 0 && map[3] > 0 && map[2] * map[3] > 1;
  };
  onnx::GraphProto rewritten;
  int count = 0;
  for (auto& node : *graph.mutable_node()) {
    const std::string& op = node.op_type();
    if ((op == "Mul" || op == "Add" || op == "Sub") && node.input_size() == 2 &&
        IsComputed(graph, node.input(0)) && IsComputed(graph, node.input(1))) {
      for (int k = 0; k < 2; ++k) {
        const auto scale = shape_of(node.input(k));
        const auto map = shape_of(node.input(1 - k));
        if (!is_scale_over(scale, map)) continue;
        const std::string name = node.input(k) + "/fruits_broadcast_" + std::to_string(count);
        auto& scales = *graph.add_initializer();
        scales.set_name(name + "/scales");
        scales.set_data_type(onnx::TensorProto::FLOAT);
        scales.add_dims(4);
        const float factors[4] = {1, 1, static_cast<float>(map[2]), static_cast<float>(map[3])};
        scales.set_raw_data(factors, sizeof(factors));
        onnx::NodeProto& resize = *rewritten.add_node();
        resize.set_op_type("Resize");
        resize.set_name(name);
        resize.add_input(node.input(k));
        if (opset >= 11) {
          auto& roi = *graph.add_initializer();
          roi.set_name(name + "/roi");
          roi.set_data_type(onnx::TensorProto::FLOAT);
          roi.add_dims(0);
          resize.add_input(roi.name());
        }
        resize.add_input(scales.name());
        resize.add_output(name);
        auto& mode = *resize.add_attribute();
        mode.set_name("mode");
        mode.set_type(onnx::AttributeProto::STRING);
        mode.set_s("nearest");
        node.set_input(k, name);
        ++count;
        break;
      }
    }
    *rewritten.add_node() = std::move(node);
  }
  graph.mutable_node()->Swap(rewritten.mutable_node());
  return count;
}

// PyTorch's x.view(x.size(0), -1) before opset 11: Reshape(x, Concat(Unsqueeze(Gather(Shape(x),
// 0)), [-1])). OpenCV evaluates the shape once at import, with batch 1, so larger batches fail;
// it is Flatten(x, axis = 1).
int BatchViewsToFlatten(onnx::GraphProto& graph) {
  const auto producers = graph::Producers(graph);
  auto producer = [&](const std::string& tensor, const char* op) -> const onnx::NodeProto* {
    auto it = producers.find(tensor);
    if (it == producers.end() || graph.node(it->second).op_type() != op) return nullptr;
    return &graph.node(it->second);
  };
  auto constant_is = [&](const std::string& tensor, double value) {
    const onnx::TensorProto* t = graph::FindInitializer(graph, tensor);
    return t != nullptr && graph::TensorValues(*t) == std::vector<double>{value};
  };
  int count = 0;
  for (auto& node : *graph.mutable_node()) {
    if (node.op_type() != "Reshape" || node.input_size() != 2) continue;
    const onnx::NodeProto* concat = producer(node.input(1), "Concat");
    if (concat == nullptr || concat->input_size() != 2 || !constant_is(concat->input(1), -1)) {
      continue;
    }
    const onnx::NodeProto* unsqueeze = producer(concat->input(0), "Unsqueeze");
    const onnx::NodeProto* gather = unsqueeze ? producer(unsqueeze->input(0), "Gather") : nullptr;
    const onnx::NodeProto* shape =
        gather && constant_is(gather->input(1), 0) ? producer(gather->input(0), "Shape") : nullptr;
    if (shape == nullptr || shape->input(0) != node.input(0)) continue;
    node.set_op_type("Flatten");
    node.mutable_input()->DeleteSubrange(1, 1);
    node.clear_attribute();
    auto& axis = *node.add_attribute();
    axis.set_name("axis");
    axis.set_type(onnx::AttributeProto::INT);
    axis.set_i(1);
    ++count;
  }
  return count;
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
  note(BatchViewsToFlatten(graph), "batch-preserving Reshape chains turned into Flatten");
  note(BroadcastScalesOverMaps(model), "per-channel scales resized to their feature map");
  note(graph::RemoveUnused(graph), "unused nodes removed");
  return changes;
}

}  // namespace fruits::model
