// Constants as initializers: the forms exporters give constant tensors, made the one form the
// backends read.
//
// - A `Constant` node (value, value_float(s), value_int(s)) becomes an initializer of its output's
//   name (opset 9 exports write every weight so).
// - An `Identity`, or an inference `Dropout`, of an initializer is bypassed: its readers read the
//   initializer (torch writes one Identity per reuse of a deduplicated weight).
// A node whose output is a graph output is kept: the output keeps its name and its producer.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace onnx {
class GraphProto;
class ModelProto;
class TensorProto;
}  // namespace onnx

namespace fruits::model {

// Returns the number of Constant nodes made initializers.
int ConstantsToInitializers(onnx::ModelProto& model);
// Returns the number of Identity and Dropout nodes bypassed.
int BypassCopiesOfInitializers(onnx::ModelProto& model);

// Adds `tensor` to the graph's initializers, and to its inputs where the model's IR version
// (before 4) requires every initializer to be one.
void AddInitializer(onnx::ModelProto& model, onnx::TensorProto tensor);
// Every tensor name the graph's nodes and initializers use: for naming new tensors.
std::set<std::string> TensorNames(const onnx::GraphProto& graph);
// An INT64 or INT32 (`type`) tensor.
onnx::TensorProto IntInitializer(const std::string& name, int32_t type,
                                 const std::vector<int64_t>& dims,
                                 const std::vector<int64_t>& values);

}  // namespace fruits::model
