#include "app/app_model.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <map>
#include <nlohmann/json.hpp>

#include "app/app_metadata.h"
#include "app/head_evaluator.h"
#include "model/graph_edit.h"
#include "model/model_loader.h"
#include "util/error.h"
#include "util/sha256.h"

namespace fruits::app {

namespace {

std::string BaseName(const std::string& uri) {
  const size_t slash = uri.find_last_of('/');
  return slash == std::string::npos ? uri : uri.substr(slash + 1);
}

// The metadata the file must hold, parsed; UsageError naming the key otherwise.
class MetadataReader {
 public:
  MetadataReader(const onnx::ModelProto& proto, std::string uri) : uri_(std::move(uri)) {
    for (const auto& entry : proto.metadata_props()) values_[entry.key()] = entry.value();
    if (!values_.count(metadata::kGraph)) {
      throw UsageError("'" + uri_ + "' is not an app model written by fruits export (it has no '" +
                       metadata::kGraph +
                       "' metadata): make one with `fruits export --model M.onnx --classifier "
                       "CLF -o fruit_classifier.onnx`");
    }
  }

  nlohmann::json Json(const char* key) const {
    nlohmann::json value = nlohmann::json::parse(Text(key), nullptr, false);
    if (value.is_discarded()) Fail(key, "is not JSON");
    return value;
  }

  std::string Text(const char* key) const {
    const auto found = values_.find(key);
    if (found == values_.end()) Fail(key, "is missing");
    return found->second;
  }

  std::string TextOr(const char* key) const {
    const auto found = values_.find(key);
    return found == values_.end() ? "" : found->second;
  }

  [[noreturn]] void Fail(const char* key, const std::string& why) const {
    throw UsageError("app model '" + uri_ + "': metadata '" + key + "' " + why +
                     "; export it again with fruits export");
  }

 private:
  std::string uri_;
  std::map<std::string, std::string> values_;
};

AppModelInfo ReadInfo(const MetadataReader& metadata, const std::string& uri,
                      const std::string& bytes) {
  AppModelInfo info;
  info.name = BaseName(uri);
  info.sha256 = Sha256Hex(bytes);
  try {
    info.labels = metadata.Json(metadata::kLabels).get<std::vector<std::string>>();
    const nlohmann::json preprocessing = metadata.Json(metadata::kPreprocessing);
    info.height = preprocessing.at("height").get<int64_t>();
    info.width = preprocessing.at("width").get<int64_t>();
    info.filter = image::ParseResizeFilter(preprocessing.at("resize").get<std::string>());
    info.input_type = preprocessing.at("input").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    metadata.Fail(metadata::kPreprocessing, std::string("is malformed (") + e.what() + ")");
  }
  info.fruits_version = metadata.TextOr(metadata::kFruitsVersion);
  info.source_model_sha256 = metadata.TextOr(metadata::kSourceModelSha256);
  info.classifier_digest = metadata.TextOr(metadata::kClassifierDigest);
  const std::string accuracy = metadata.TextOr(metadata::kEvaluationAccuracy);
  if (!accuracy.empty()) info.accuracy = std::stod(accuracy);
  return info;
}

// The graph from the float pixels to the features: the export without its Cast and its head.
model::OnnxModel Backbone(const onnx::ModelProto& app, const std::string& pixels,
                          const std::string& features, const AppModelInfo& info,
                          const std::string& uri) {
  onnx::ModelProto proto = app;
  proto.clear_metadata_props();
  onnx::GraphProto& graph = *proto.mutable_graph();
  graph.clear_input();
  graph.clear_output();
  model::graph::DescribeTensor(*graph.add_input(), pixels, onnx::TensorProto::FLOAT,
                               {-1, info.height, info.width, 3});
  model::graph::DescribeTensor(*graph.add_output(), features, onnx::TensorProto::FLOAT, {-1, -1});
  // The Cast that made the pixels from the uint8 input goes: the engine is fed floats.
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& outputs = graph.node(i).output();
    if (std::find(outputs.begin(), outputs.end(), pixels) != outputs.end()) {
      graph.mutable_node()->DeleteSubrange(i, 1);
      break;
    }
  }
  model::graph::RemoveUnused(graph);
  std::string bytes;
  proto.SerializeToString(&bytes);
  return model::OnnxModel::Parse(bytes, uri);
}

}  // namespace

AppModel AppModel::Load(storage::ObjectStore& store, const std::string& uri,
                        const AppModelOptions& options) {
  const std::string bytes = model::OnnxModel::ReadBytes(store, uri);
  onnx::ModelProto proto;
  if (!proto.ParseFromString(bytes)) {
    throw UsageError("'" + uri + "' is not an ONNX model: make an app model with fruits export");
  }
  try {
    onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    throw UsageError("app model '" + uri + "' fails the ONNX checker: " + e.what());
  }
  const MetadataReader metadata(proto, uri);
  AppModelInfo info = ReadInfo(metadata, uri, bytes);
  const nlohmann::json graph = metadata.Json(metadata::kGraph);
  const std::string pixels = graph.value("pixels", "");
  const std::string features = graph.value("features", "");
  const std::string probabilities = graph.value("probabilities", "");
  if (pixels.empty() || features.empty() || probabilities.empty()) {
    metadata.Fail(metadata::kGraph, "does not name pixels, features and probabilities");
  }

  model::ModelOptions model_options;
  model_options.feature_layer = features;
  model_options.backend = options.backend;
  model_options.backend_options = options.backend_options;
  model::LoadedModel loaded =
      model::LoadModel(Backbone(proto, pixels, features, info, uri), model_options);
  const model::ImageInput& input = loaded.backend->input();
  if (input.layout != model::Layout::kNhwc || input.channels != 3 || input.height != info.height ||
      input.width != info.width) {
    throw Error("app model '" + uri + "': the " + std::string(loaded.backend->name()) +
                " backend takes " + input.ToString() + ", not the NHWC RGB pixels the file takes");
  }
  auto head = std::make_unique<HeadEvaluator>(proto.graph(), features, probabilities);
  if (head->output_dim() != static_cast<int64_t>(info.labels.size()) ||
      head->input_dim() != loaded.backend->feature_dim()) {
    throw UsageError("app model '" + uri + "': its head maps " + std::to_string(head->input_dim()) +
                     " features to " + std::to_string(head->output_dim()) +
                     " probabilities, but the backbone gives " +
                     std::to_string(loaded.backend->feature_dim()) + " features and there are " +
                     std::to_string(info.labels.size()) + " labels");
  }
  image::Preprocessor preprocessor(image::PreprocessOptions{
      .width = info.width,
      .height = info.height,
      .filter = info.filter,
      .normalization = image::Normalization::kNone,  // the graph normalises
      .channels_last = true,
      .channels = 3});
  return AppModel(std::move(info), std::move(preprocessor), std::move(loaded.backend),
                  std::move(head));
}

AppModel::AppModel(AppModelInfo info, image::Preprocessor preprocessor,
                   std::unique_ptr<model::Backend> backbone, std::unique_ptr<HeadEvaluator> head)
    : info_(std::move(info)),
      preprocessor_(std::move(preprocessor)),
      backbone_(std::move(backbone)),
      head_(std::move(head)) {}

AppModel::AppModel(AppModel&&) noexcept = default;
AppModel& AppModel::operator=(AppModel&&) noexcept = default;
AppModel::~AppModel() = default;

int64_t AppModel::max_batch() const { return backbone_->max_batch(); }
int AppModel::concurrent_runs() const { return backbone_->concurrent_runs(); }
std::string AppModel::backend_name() const { return std::string(backbone_->name()); }

model::Tensor AppModel::Classify(const model::Tensor& pixels) const {
  return head_->Run(backbone_->Run(pixels));
}

}  // namespace fruits::app
