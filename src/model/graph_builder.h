// Builds ONNX models in code: the built-in architectures (`fruits model init`) and test graphs.
//
// Names are the caller's: an initializer or node output keeps the name given, so a built model
// can mirror another framework's parameter names. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace onnx {
class ModelProto;
}

namespace fruits::model {

struct Attribute {
  std::string name;
  std::variant<int64_t, float, std::vector<int64_t>, std::string> value;
};

class GraphBuilder {
 public:
  // `opset`: the default-domain opset the graph is written against.
  explicit GraphBuilder(int64_t opset);
  // Goes on writing `model`: nodes, initializers, inputs and outputs are appended to its graph.
  explicit GraphBuilder(onnx::ModelProto model);
  ~GraphBuilder();
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  // A float graph input; a negative dimension is left open ("batch" for dimension 0).
  std::string Input(const std::string& name, const std::vector<int64_t>& shape);
  std::string Initializer(const std::string& name, const std::vector<int64_t>& dims,
                          const std::vector<float>& values);
  // An INT64 initializer (indices, shapes); returns `name`.
  std::string Int64Initializer(const std::string& name, const std::vector<int64_t>& dims,
                               const std::vector<int64_t>& values);
  // Adds a node with one output named `output`; returns `output`.
  std::string Node(const std::string& op_type, const std::vector<std::string>& inputs,
                   const std::string& output, const std::vector<Attribute>& attributes = {});
  // A float graph output; dimensions as for Input().
  void Output(const std::string& tensor, const std::vector<int64_t>& shape);
  void Metadata(const std::string& key, const std::string& value);

  // The model so far; the builder can go on.
  const onnx::ModelProto& proto() const { return *proto_; }
  // For forms the builder does not write (the tests' exporter quirks and malformed graphs).
  onnx::ModelProto& mutable_proto() { return *proto_; }
  std::string Serialize() const;

 private:
  std::unique_ptr<onnx::ModelProto> proto_;
};

}  // namespace fruits::model
