// An ONNX model held in memory: parsed, checked and described, ready to be normalised and cut.
//
// OnnxModel owns the graph (onnx::ModelProto). Parse() refuses bytes that are not a valid ONNX
// model (protobuf parse, the ONNX checker, exactly one rank-4 image input) with a fruits::Error
// naming the source and the problem. Shapes come from ONNX shape inference, rerun by Refresh()
// after the graph is edited. Not thread-safe; the backends copy what they need.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/layout.h"

namespace onnx {
class ModelProto;
}

namespace fruits::storage {
class ObjectStore;
}

namespace fruits::model {

class OnnxModel {
 public:
  // `source` names the model in messages (a path or a URI).
  static OnnxModel Parse(std::string_view bytes, std::string source);
  static OnnxModel Read(storage::ObjectStore& store, const std::string& uri);
  // The bytes of a model file, with the weights it keeps in external data files beside it read
  // in (external_data.h); throws UsageError saying what to do when it cannot be read.
  static std::string ReadBytes(storage::ObjectStore& store, const std::string& uri);

  OnnxModel(OnnxModel&&) noexcept;
  OnnxModel& operator=(OnnxModel&&) noexcept;
  ~OnnxModel();

  const std::string& source() const { return source_; }
  // SHA-256 of the bytes the model was parsed from (hex): names the model in run outputs.
  const std::string& sha256() const { return sha256_; }
  const ImageInput& input() const { return input_; }
  // The default-domain opset the graph is written against.
  int64_t opset() const;
  // Operator types in the graph, sorted, each once; other domains as "domain:Type".
  std::vector<std::string> OperatorTypes() const;
  std::vector<std::string> OutputNames() const;
  // The shape shape inference found for a tensor (-1 for an open dimension); nullopt if unknown.
  std::optional<std::vector<int64_t>> TensorShape(const std::string& name) const;
  // A metadata_props value, or "" when absent.
  std::string Metadata(const std::string& key) const;

  const onnx::ModelProto& proto() const { return *proto_; }
  onnx::ModelProto& mutable_proto() { return *proto_; }
  // Fixes the height and width the input leaves open. Throws UsageError when the model fixes
  // them to other values.
  void SetInputSize(int64_t height, int64_t width);
  // Re-reads the input and shapes after the graph was edited.
  void Refresh();
  // A graph declaring an older default-domain opset is rewritten for `opset` by ONNX's version
  // converter (the model is parsed again). Throws Error saying what needs it (`purpose`) when
  // the converter cannot.
  void UpgradeOpset(int64_t opset, const std::string& purpose);
  std::string Serialize() const;

 private:
  OnnxModel(std::unique_ptr<onnx::ModelProto> proto, std::string source, std::string sha256);

  std::unique_ptr<onnx::ModelProto> proto_;
  std::string source_;
  std::string sha256_;
  ImageInput input_;
  std::map<std::string, std::vector<int64_t>> shapes_;
};

}  // namespace fruits::model
