#include "model/onnx_model.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <algorithm>
#include <map>
#include <set>

#include "model/external_data.h"
#include "model/graph_edit.h"
#include "model/tensor.h"
#include "storage/object_store.h"
#include "util/error.h"
#include "util/sha256.h"

namespace fruits::model {

namespace {

ImageInput DescribeImageInput(const onnx::GraphProto& graph, const std::string& source) {
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& input : graph.input()) {
    if (graph::FindInitializer(graph, input.name()) == nullptr) inputs.push_back(&input);
  }
  if (inputs.size() != 1) {
    std::string names;
    for (const auto* input : inputs) names += (names.empty() ? "'" : ", '") + input->name() + "'";
    throw Error("model '" + source + "' has " + std::to_string(inputs.size()) + " inputs (" +
                names + "); fruits needs exactly one image input");
  }
  const onnx::ValueInfoProto& input = *inputs[0];
  std::vector<int64_t> dims = graph::DimsOf(input.type());
  if (input.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT || dims.size() != 4) {
    throw Error("model '" + source + "': input '" + input.name() + "' is " + ShapeToString(dims) +
                ", not a 4-D float image batch (NCHW or NHWC); fruits needs an image model");
  }
  ImageInput image;
  image.name = input.name();
  bool nhwc = graph::NhwcToNchwTranspose(graph, input.name()) != nullptr ||
              ((dims[1] != 1 && dims[1] != 3) && (dims[3] == 1 || dims[3] == 3));
  image.layout = nhwc ? Layout::kNhwc : Layout::kNchw;
  image.channels = nhwc ? dims[3] : dims[1];
  image.height = nhwc ? dims[1] : dims[2];
  image.width = nhwc ? dims[2] : dims[3];
  return image;
}

// ONNX's shape inference divides by strides and dilations unchecked (SIGFPE on a 0): a window
// attribute below 1 is refused before it runs.
void CheckWindowAttributes(const onnx::GraphProto& graph, const std::string& source) {
  for (const auto& node : graph.node()) {
    for (const auto& attribute : node.attribute()) {
      const std::string& name = attribute.name();
      if (name != "strides" && name != "dilations" && name != "kernel_shape") continue;
      std::vector<int64_t> values(attribute.ints().begin(), attribute.ints().end());
      if (std::any_of(values.begin(), values.end(), [](int64_t v) { return v < 1; })) {
        throw Error("model '" + source + "': node '" + node.name() + "' (" + node.op_type() +
                    ") has " + name + " " + ShapeToString(values) +
                    ", which must be 1 or more: the model is malformed");
      }
    }
  }
}

// Initializers and Constant values stored shorter or longer than their dimensions give: every
// reader indexes by the dimensions (OpenCV's importer copies that many bytes, found by
// fuzz/onnx_fuzzer running the models).
void CheckStoredLengths(const onnx::GraphProto& graph, const std::string& source) {
  auto check = [&](const onnx::TensorProto& tensor) {
    if (graph::StoresWhatDimsGive(tensor)) return;
    throw Error("model '" + source + "': tensor '" + tensor.name() + "' " +
                ShapeToString(std::vector<int64_t>(tensor.dims().begin(), tensor.dims().end())) +
                " stores another number of values than its dimensions give: the model is "
                "malformed");
  };
  for (const auto& tensor : graph.initializer()) check(tensor);
  for (const auto& node : graph.node()) {
    for (const auto& attribute : node.attribute()) {
      if (attribute.has_t()) check(attribute.t());
    }
  }
}

// ONNX's shape inference also trusts a Transpose's perm: one that is not a permutation of its
// input's axes gives a tensor of another rank, and the convolution after it reads past the
// shapes (SEGV, found by fuzz/onnx_fuzzer). Checked where the input's rank is known before
// inference: the graph's inputs and initializers.
void CheckTransposePermutations(const onnx::GraphProto& graph, const std::string& source) {
  std::map<std::string, int> rank;
  for (const auto& input : graph.input()) {
    if (input.type().tensor_type().has_shape()) {
      rank[input.name()] = input.type().tensor_type().shape().dim_size();
    }
  }
  for (const auto& initializer : graph.initializer()) {
    rank[initializer.name()] = initializer.dims_size();
  }
  for (const auto& node : graph.node()) {
    if (node.op_type() != "Transpose" || node.input_size() < 1) continue;
    for (const auto& attribute : node.attribute()) {
      if (attribute.name() != "perm") continue;
      std::vector<int64_t> perm(attribute.ints().begin(), attribute.ints().end());
      std::vector<int64_t> sorted = perm;
      std::sort(sorted.begin(), sorted.end());
      bool permutation = true;
      for (size_t i = 0; i < sorted.size(); ++i) {
        permutation = permutation && sorted[i] == static_cast<int64_t>(i);
      }
      auto known = rank.find(node.input(0));
      if (known != rank.end()) {
        permutation = permutation && static_cast<int>(perm.size()) == known->second;
      }
      if (!permutation) {
        throw Error("model '" + source + "': node '" + node.name() + "' (Transpose) has perm " +
                    ShapeToString(perm) +
                    ", which is not a permutation of its input's axes: the model is malformed");
      }
    }
  }
}

}  // namespace

OnnxModel OnnxModel::Parse(std::string_view bytes, std::string source) {
  auto proto = std::make_unique<onnx::ModelProto>();
  if (bytes.empty() || !proto->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error("'" + source + "' is not an ONNX model (" + std::to_string(bytes.size()) +
                " bytes that do not parse as an ONNX ModelProto): check that the file is a "
                "complete .onnx export");
  }
  if (std::optional<std::string> external = FirstExternalTensor(*proto)) {
    throw Error("model '" + source + "' keeps " + *external +
                ", a file beside it that was not read in: load the model from its path "
                "(--model FILE), with the data file in the same folder");
  }
  try {
    onnx::checker::check_model(*proto);
  } catch (const std::exception& e) {
    throw Error("model '" + source + "' fails the ONNX checker: " + e.what());
  }
  return OnnxModel(std::move(proto), std::move(source), Sha256Hex(bytes));
}

OnnxModel OnnxModel::Read(storage::ObjectStore& store, const std::string& uri) {
  return Parse(ReadBytes(store, uri), uri);
}

std::string OnnxModel::ReadBytes(storage::ObjectStore& store, const std::string& uri) {
  if (!store.Exists(uri)) {
    throw UsageError("model '" + uri +
                     "' does not exist: pass an ONNX file with --model (for a test model: "
                     "fruits model init -o demo.onnx)");
  }
  Result<std::string> bytes = store.Read(uri);
  if (!bytes.ok()) throw UsageError("cannot read model '" + uri + "': " + bytes.error());
  return InlineExternalData(std::move(bytes).value(), store, uri);
}

OnnxModel::OnnxModel(std::unique_ptr<onnx::ModelProto> proto, std::string source,
                     std::string sha256)
    : proto_(std::move(proto)), source_(std::move(source)), sha256_(std::move(sha256)) {
  Refresh();
}

OnnxModel::OnnxModel(OnnxModel&&) noexcept = default;
OnnxModel& OnnxModel::operator=(OnnxModel&&) noexcept = default;
OnnxModel::~OnnxModel() = default;

void OnnxModel::Refresh() {
  onnx::GraphProto& graph = *proto_->mutable_graph();
  input_ = DescribeImageInput(graph, source_);
  CheckWindowAttributes(graph, source_);
  CheckTransposePermutations(graph, source_);
  CheckStoredLengths(graph, source_);
  graph.clear_value_info();
  try {
    onnx::shape_inference::InferShapes(*proto_);
  } catch (const std::exception&) {
    // Shapes are a help, not a requirement: a backend finds the output size by running the model.
  }
  shapes_ = graph::KnownShapes(graph);
}

void OnnxModel::SetInputSize(int64_t height, int64_t width) {
  const bool nhwc = input_.layout == Layout::kNhwc;
  for (auto& input : *proto_->mutable_graph()->mutable_input()) {
    if (input.name() != input_.name) continue;
    auto& dims = *input.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim();
    const int64_t wanted[2] = {height, width};
    for (int i = 0; i < 2; ++i) {
      auto& dim = dims[nhwc ? 1 + i : 2 + i];
      if (dim.has_dim_value() && dim.dim_value() != wanted[i]) {
        throw UsageError("model '" + source_ + "' takes " + std::to_string(input_.height) + "x" +
                         std::to_string(input_.width) + " images; --input-size " +
                         std::to_string(height) + "x" + std::to_string(width) +
                         " only applies to models whose size is open");
      }
      dim.set_dim_value(wanted[i]);
    }
  }
  Refresh();
}

int64_t OnnxModel::opset() const {
  for (const auto& opset : proto_->opset_import()) {
    if (opset.domain().empty() || opset.domain() == "ai.onnx") return opset.version();
  }
  return 0;
}

std::vector<std::string> OnnxModel::OperatorTypes() const {
  std::set<std::string> types;
  for (const auto& node : proto_->graph().node()) {
    types.insert(node.domain().empty() || node.domain() == "ai.onnx"
                     ? node.op_type()
                     : node.domain() + ":" + node.op_type());
  }
  return {types.begin(), types.end()};
}

std::vector<std::string> OnnxModel::OutputNames() const {
  std::vector<std::string> names;
  for (const auto& output : proto_->graph().output()) names.push_back(output.name());
  return names;
}

std::optional<std::vector<int64_t>> OnnxModel::TensorShape(const std::string& name) const {
  auto it = shapes_.find(name);
  if (it == shapes_.end()) return std::nullopt;
  return it->second;
}

std::string OnnxModel::Metadata(const std::string& key) const {
  for (const auto& entry : proto_->metadata_props()) {
    if (entry.key() == key) return entry.value();
  }
  return "";
}

void OnnxModel::UpgradeOpset(int64_t opset, const std::string& purpose) {
  if (this->opset() >= opset) return;
  onnx::ModelProto converted;
  try {
    converted = onnx::version_conversion::ConvertVersion(*proto_, static_cast<int>(opset));
  } catch (const std::exception& e) {
    throw Error("model '" + source_ + "' (opset " + std::to_string(this->opset()) +
                ") cannot be converted to opset " + std::to_string(opset) + ", which " + purpose +
                " needs: " + e.what());
  }
  std::string bytes;
  converted.SerializeToString(&bytes);
  *this = Parse(bytes, source_);
}

std::string OnnxModel::Serialize() const {
  std::string bytes;
  proto_->SerializeToString(&bytes);
  return bytes;
}

}  // namespace fruits::model
