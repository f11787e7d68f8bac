// Looking into a graph after PrepareGraph, for the tests of its rewrites.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "model/graph_edit.h"
#include "model/onnx_model.h"

namespace fruits::model::testing {

// The op types of the graph's nodes, in order.
inline std::vector<std::string> OpTypes(const OnnxModel& model) {
  std::vector<std::string> types;
  for (const auto& node : model.proto().graph().node()) types.push_back(node.op_type());
  return types;
}

// The first node of `op_type`; fails the test and returns an empty node when there is none.
inline const onnx::NodeProto& FirstNode(const OnnxModel& model, const std::string& op_type) {
  static const onnx::NodeProto kNone;
  for (const auto& node : model.proto().graph().node()) {
    if (node.op_type() == op_type) return node;
  }
  ADD_FAILURE() << "no " << op_type << " node";
  return kNone;
}

// The values of initializer `name`; empty (and a failure) when it is not one.
inline std::vector<double> InitializerValues(const OnnxModel& model, const std::string& name) {
  const onnx::TensorProto* tensor = graph::FindInitializer(model.proto().graph(), name);
  if (tensor == nullptr) {
    ADD_FAILURE() << "'" << name << "' is not an initializer";
    return {};
  }
  return graph::TensorValues(*tensor);
}

inline std::vector<int64_t> IntsOf(const onnx::NodeProto& node, const std::string& name) {
  return graph::Ints(node, name, {});
}

}  // namespace fruits::model::testing
