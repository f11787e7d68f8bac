#include "pipeline/model_session.h"

#include <chrono>

#include "model/quantization/qdq_rewrite.h"
#include "pipeline/features_part.h"
#include "util/log.h"
#include "util/seconds_since.h"
#include "util/version.h"

namespace fruits::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

std::string Preprocessing(const image::Preprocessor& preprocessor, model::Layout layout) {
  const image::PreprocessOptions& o = preprocessor.options();
  return image::ToString(o.normalization) + ", " + image::ToString(o.filter) + " resize to " +
         std::to_string(o.width) + "x" + std::to_string(o.height) + ", " +
         model::LayoutName(layout);
}

}  // namespace

image::Preprocessor MakePreprocessor(const model::ImageInput& input, image::ResizeFilter resize,
                                     image::Normalization normalization) {
  return image::Preprocessor(
      image::PreprocessOptions{.width = input.width,
                               .height = input.height,
                               .filter = resize,
                               .normalization = normalization,
                               .channels_last = input.layout == model::Layout::kNhwc,
                               .channels = static_cast<int>(input.channels)});
}

ModelSession OpenModelSession(storage::ObjectStore& store, dist::Communicator& comm,
                              const ModelSessionOptions& options) {
  const auto start = Clock::now();
  model::ModelOptions model_options = options.model_options;
  // The backend decides how to spend the workers' cores (the CPU backends: one single-threaded
  // run per core, faster than one shared network, docs/models.md).
  model_options.backend_options.cores = options.workers;
  // Rank 0 reads the model once; the others receive its bytes.
  std::string bytes;
  if (comm.is_root()) bytes = model::OnnxModel::ReadBytes(store, options.model);
  const auto broadcast_start = Clock::now();
  comm.Broadcast(bytes);
  const double broadcast_seconds = SecondsSince(broadcast_start);
  model::OnnxModel model = model::OnnxModel::Parse(bytes, options.model);
  const bool quantized = model::quantization::IsQuantized(model);
  model::LoadedModel loaded = model::LoadModel(std::move(model), model_options);
  const model::ImageInput& input = loaded.backend->input();
  image::Preprocessor preprocessor = MakePreprocessor(input, options.resize, options.normalization);
  const model::FeatureLayer& layer = loaded.feature_layer;
  std::vector<parquet::KeyValue> facts = {
      {footer::kVersion, kVersion},
      {footer::kModel, options.model},
      {footer::kModelSha256, loaded.graph.sha256()},
      {footer::kModelQuantized, quantized ? "int8 QDQ" : "no"},
      {footer::kFeatureLayer, layer.tensor},
      {footer::kPreprocessing, Preprocessing(preprocessor, input.layout)}};
  LogInfo("model '" + options.model + "': feature layer '" + layer.tensor + "' (" +
          std::to_string(layer.dimension) + " floats per image), " + layer.reason + "; " +
          std::string(loaded.backend->name()) + " backend, " + std::to_string(options.workers) +
          " worker" + (options.workers == 1 ? "" : "s"));
  return {std::move(loaded), std::move(preprocessor), quantized,
          std::move(facts),  SecondsSince(start),     broadcast_seconds};
}

}  // namespace fruits::pipeline
