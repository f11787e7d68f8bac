// Small edits on an ONNX graph, shared by the normalisation passes and the feature-layer cut.
//
// Functions take the graph by reference and keep it valid: a tensor that is replaced or removed
// is replaced or removed everywhere it is used.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace onnx {
class AttributeProto;
class GraphProto;
class NodeProto;
class TensorProto;
class TypeProto;
class ValueInfoProto;
}  // namespace onnx

namespace fruits::model::graph {

// The index of the node producing each tensor.
std::map<std::string, int> Producers(const onnx::GraphProto& graph);
// How many node inputs and graph outputs read each tensor.
std::map<std::string, int> UseCounts(const onnx::GraphProto& graph);
bool IsGraphOutput(const onnx::GraphProto& graph, const std::string& tensor);
// Makes every node input and graph output that reads `from` read `to` instead.
void ReplaceUses(onnx::GraphProto& graph, const std::string& from, const std::string& to);
// Removes the nodes the graph outputs do not depend on, then the initializers and initializer
// inputs nothing reads. Returns the number of nodes removed.
int RemoveUnused(onnx::GraphProto& graph);

// The first Transpose with a perm that reads `tensor` (as its data input) when it is
// Transpose(perm = [0, 3, 1, 2]), NHWC to NCHW, as tf2onnx's Keras exports start; nullptr
// otherwise.
const onnx::NodeProto* NhwcToNchwTranspose(const onnx::GraphProto& graph,
                                           const std::string& tensor);

const onnx::TensorProto* FindInitializer(const onnx::GraphProto& graph, const std::string& name);
const onnx::AttributeProto* FindAttribute(const onnx::NodeProto& node, const std::string& name);
// A node attribute's value, or `fallback` when the node has none of that name.
std::vector<int64_t> Ints(const onnx::NodeProto& node, const std::string& name,
                          std::vector<int64_t> fallback);
int64_t Int(const onnx::NodeProto& node, const std::string& name, int64_t fallback);
float Float(const onnx::NodeProto& node, const std::string& name, float fallback);
// "" when absent.
std::string Text(const onnx::NodeProto& node, const std::string& name);
// The dimensions of a tensor type, -1 for an open one.
std::vector<int64_t> DimsOf(const onnx::TypeProto& type);
// Makes `value` the tensor `name` of `elem_type` (an onnx::TensorProto::DataType) with these
// dimensions; a negative one is left open, named "batch" for dimension 0 and "d<i>" after.
void DescribeTensor(onnx::ValueInfoProto& value, const std::string& name, int32_t elem_type,
                    const std::vector<int64_t>& dims);
// The shapes the graph states: inputs, outputs, value_info (where shape inference writes) and
// initializers.
std::map<std::string, std::vector<int64_t>> KnownShapes(const onnx::GraphProto& graph);

// Whether `tensor` stores exactly as many values as its dimensions give (the checker leaves the
// data's length to the reader, and readers index by the dimensions). True where fruits does not
// count the storage: external data, strings, complex numbers.
bool StoresWhatDimsGive(const onnx::TensorProto& tensor);

// The values of a FLOAT, DOUBLE, INT8, UINT8, INT32 or INT64 tensor; throws fruits::Error for other
// types and when the data does not hold as many values as the dimensions give.
std::vector<double> TensorValues(const onnx::TensorProto& tensor);

}  // namespace fruits::model::graph
