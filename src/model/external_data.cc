#include "model/external_data.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <map>
#include <vector>

#include "storage/object_store.h"
#include "util/error.h"

namespace fruits::model {

namespace {

// Every tensor external data can hold: initializers and Constant values in the main graph.
std::vector<onnx::TensorProto*> Tensors(onnx::ModelProto& model) {
  std::vector<onnx::TensorProto*> tensors;
  onnx::GraphProto& graph = *model.mutable_graph();
  for (onnx::TensorProto& tensor : *graph.mutable_initializer()) tensors.push_back(&tensor);
  for (onnx::NodeProto& node : *graph.mutable_node()) {
    for (onnx::AttributeProto& attribute : *node.mutable_attribute()) {
      if (attribute.has_t()) tensors.push_back(attribute.mutable_t());
    }
  }
  return tensors;
}

std::string Entry(const onnx::TensorProto& tensor, const std::string& key) {
  for (const auto& entry : tensor.external_data()) {
    if (entry.key() == key) return entry.value();
  }
  return "";
}

// A location must stay in the model's folder: a model file must not read others' files.
void CheckLocation(const std::string& location, const std::string& tensor, const std::string& uri) {
  bool escapes =
      location.empty() || location.front() == '/' || location.find(':') != std::string::npos;
  for (size_t start = 0; start <= location.size() && !escapes;) {
    const size_t end = std::min(location.find('/', start), location.size());
    escapes = location.compare(start, end - start, "..") == 0;
    start = end + 1;
  }
  if (escapes) {
    throw Error("model '" + uri + "': tensor '" + tensor + "' names external data file '" +
                location + "', which is not a path inside the model's folder");
  }
}

// The uri's folder, ending in '/' ("" for a bare file name).
std::string Folder(const std::string& uri) {
  const size_t slash = uri.rfind('/');
  return slash == std::string::npos ? "" : uri.substr(0, slash + 1);
}

uint64_t ParseCount(const std::string& text, const std::string& what, const std::string& tensor,
                    const std::string& uri) {
  try {
    size_t used = 0;
    const unsigned long long value = std::stoull(text, &used);
    if (used == text.size() && text.front() != '-') return value;
  } catch (const std::exception&) {
  }
  throw Error("model '" + uri + "': tensor '" + tensor + "' has external data " + what + " '" +
              text + "', not a byte count");
}

}  // namespace

std::optional<std::string> FirstExternalTensor(const onnx::ModelProto& model) {
  std::vector<const onnx::TensorProto*> tensors;
  for (const onnx::TensorProto& tensor : model.graph().initializer()) tensors.push_back(&tensor);
  for (const onnx::NodeProto& node : model.graph().node()) {
    for (const onnx::AttributeProto& attribute : node.attribute()) {
      if (attribute.has_t()) tensors.push_back(&attribute.t());
    }
  }
  for (const onnx::TensorProto* tensor : tensors) {
    if (tensor->data_location() == onnx::TensorProto::EXTERNAL) {
      return "tensor '" + tensor->name() + "' in '" + Entry(*tensor, "location") + "'";
    }
  }
  return std::nullopt;
}

std::string InlineExternalData(std::string bytes, storage::ObjectStore& store,
                               const std::string& uri) {
  // An external tensor's entries hold the key "location" (field 1, 8 bytes): without those
  // bytes there is nothing to read, and the model is not parsed twice.
  static const std::string kLocationKey = std::string("\x0a\x08") + "location";
  if (bytes.find(kLocationKey) == std::string::npos) return bytes;
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return bytes;  // Parse says what is wrong
  std::map<std::string, std::string> files;         // location -> contents
  bool inlined = false;
  for (onnx::TensorProto* tensor : Tensors(model)) {
    if (tensor->data_location() != onnx::TensorProto::EXTERNAL) continue;
    const std::string location = Entry(*tensor, "location");
    CheckLocation(location, tensor->name(), uri);
    auto file = files.find(location);
    if (file == files.end()) {
      Result<std::string> contents = store.Read(Folder(uri) + location);
      if (!contents.ok()) {
        throw Error("model '" + uri + "' keeps tensor '" + tensor->name() +
                    "' in external data file '" + location + "', which cannot be read beside it (" +
                    contents.error() + "): copy the data file next to the model");
      }
      file = files.emplace(location, std::move(contents).value()).first;
    }
    const std::string offset_text = Entry(*tensor, "offset");
    const std::string length_text = Entry(*tensor, "length");
    const uint64_t offset =
        offset_text.empty() ? 0 : ParseCount(offset_text, "offset", tensor->name(), uri);
    const uint64_t size = file->second.size();
    const uint64_t length = length_text.empty()
                                ? (offset <= size ? size - offset : 0)
                                : ParseCount(length_text, "length", tensor->name(), uri);
    if (offset > size || length > size - offset) {
      throw Error("model '" + uri + "': tensor '" + tensor->name() + "' reads bytes " +
                  std::to_string(offset) + " to " + std::to_string(offset + length) + " of '" +
                  location + "', which holds " + std::to_string(size));
    }
    tensor->set_raw_data(file->second.substr(offset, length));
    tensor->clear_external_data();
    tensor->set_data_location(onnx::TensorProto::DEFAULT);
    inlined = true;
  }
  if (!inlined) return bytes;
  if (model.ByteSizeLong() > static_cast<size_t>(INT_MAX)) {
    throw Error("model '" + uri + "' with its external data is " +
                std::to_string(model.ByteSizeLong()) +
                " bytes, over the 2 GiB one ONNX model in memory can hold");
  }
  return model.SerializeAsString();
}

}  // namespace fruits::model
