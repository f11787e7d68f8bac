#include "model/model_loader.h"

#include <utility>

#include "model/graph_preparation.h"
#include "util/error.h"
#include "util/log.h"

namespace fruits::model {

namespace {

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

struct Choice {
  const BackendEntry* entry = nullptr;
  std::unique_ptr<PreparedModel> prepared;
};

Choice Forced(const BackendEntry& entry, const OnnxModel& model) {
  std::unique_ptr<PreparedModel> prepared = entry.prepare(model);
  if (auto refusal = prepared->Refusal()) {
    throw Error("model '" + model.source() + "' cannot run on the " + std::string(entry.name) +
                " backend: " + *refusal);
  }
  return {&entry, std::move(prepared)};
}

// The first backend in preference order that runs the model; the reasons of those before it
// are logged once one is found, or make the error when none is.
Choice FirstThatRuns(const OnnxModel& model) {
  std::vector<std::pair<std::string, std::string>> refusals;  // backend, reason
  for (const BackendEntry& entry : RegisteredBackends()) {
    std::unique_ptr<PreparedModel> prepared = entry.prepare(model);
    if (std::optional<std::string> refusal = prepared->Refusal()) {
      refusals.emplace_back(entry.name, *refusal);
      continue;
    }
    for (const auto& [name, reason] : refusals) {
      LogInfo("backend " + std::string(entry.name) + ": " + name + " cannot run model '" +
              model.source() + "': " + reason);
    }
    return {&entry, std::move(prepared)};
  }
  std::vector<std::string> reasons;
  for (const auto& [name, reason] : refusals) reasons.push_back(name + ": " + reason);
  throw Error("model '" + model.source() + "' runs on no backend of this build of fruits (" +
              Join(reasons, "; ") + ")");
}

}  // namespace

bool SupportedChannels(int64_t channels) { return channels == 1 || channels == 3; }

LoadedModel LoadModel(OnnxModel model, const ModelOptions& options) {
  const BackendEntry* forced = nullptr;
  if (options.backend != "auto") {
    forced = FindBackend(options.backend);
    if (forced == nullptr) {
      throw UsageError("unknown backend '" + options.backend + "': this build of fruits has " +
                       Join(BackendNames(), ", "));
    }
  }
  if (options.input_height > 0 && options.input_width > 0) {
    model.SetInputSize(options.input_height, options.input_width);
  }
  const int64_t channels = model.input().channels;
  if (!SupportedChannels(channels)) {
    throw Error("model '" + model.source() + "' expects images of " +
                (channels > 0 ? std::to_string(channels) : "an open number of") +
                " channels (input '" + model.input().name + "' " + model.input().ToString() +
                "); fruits feeds RGB (3 channels) or grey (1 channel) images only");
  }
  if (!model.input().HasFixedSize()) {
    throw UsageError("model '" + model.source() + "' leaves its input size open (" +
                     model.input().ToString() + "): give the image size with --input-size");
  }
  FeatureLayer layer = ChooseFeatureLayer(model, options.feature_layer);
  CutAtFeatureLayer(model, layer);
  std::vector<std::string> rewrites = PrepareGraph(model);

  Choice choice = forced != nullptr ? Forced(*forced, model) : FirstThatRuns(model);
  for (std::string& rewrite : choice.prepared->Rewrites()) rewrites.push_back(std::move(rewrite));
  std::unique_ptr<Backend> backend = choice.prepared->Create(options.backend_options);
  layer.dimension = backend->feature_dim();
  return {std::move(model), std::move(layer), std::move(rewrites), std::move(backend)};
}

}  // namespace fruits::model
