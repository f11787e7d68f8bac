#include "pipeline/manifest.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/peak_memory.h"
#include "util/version.h"

namespace fruits::pipeline {

namespace {

std::string UtcNow() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

// Dividing by a power of ten (rather than multiplying by 0.001) gives the double closest to the
// decimal, which JSON then prints as such: 0.087, not 0.08700000000000001.
double Round(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

}  // namespace

void WriteManifest(storage::ObjectStore& store, const OutputLayout& layout,
                   const ExtractOptions& options, const ExtractSummary& summary, int threads) {
  nlohmann::ordered_json manifest;
  manifest["fruits"] = {{"version", kVersion}, {"git", kGitRevision}, {"build", kBuildType}};
  manifest["command"] = "extract";
  manifest["command_line"] = options.command_line;
  manifest["finished_at"] = UtcNow();
  manifest["status"] = summary.interrupted ? "interrupted" : "complete";
  manifest["input"] = {
      {"source", options.input.empty() ? options.input_list : options.input},
      {"kind", options.input.empty() ? "list file" : "folder"},
      {"labels",
       options.catalog.label_from == LabelSource::kParentFolder ? "parent folder" : "none"},
      {"images", summary.inputs},
      {"skipped_files", summary.skipped_files},
      {"shards", summary.shards},
      {"shard_size", options.shard_size}};
  manifest["model"] = {{"source", options.model},
                       {"sha256", summary.model_sha256},
                       {"feature_layer", summary.feature_layer.tensor},
                       {"feature_layer_reason", summary.feature_layer.reason},
                       {"feature_dim", summary.feature_layer.dimension},
                       {"backend", summary.backend}};
  manifest["preprocessing"] = {{"normalization", image::ToString(options.normalization)},
                               {"resize", image::ToString(options.resize)},
                               {"max_pixels", options.decode.max_pixels}};
  manifest["settings"] = {{"processes", summary.processes},
                          {"threads", threads},
                          {"batch_size", options.batch_size},
                          {"resume", options.resume}};
  manifest["results"] = {{"ok", summary.ok},
                         {"failed", summary.failed},
                         {"shards_written", summary.shards_written},
                         {"shards_resumed", summary.shards_resumed}};
  manifest["seconds"] = {{"total", Round(summary.seconds, 3)},
                         {"catalog", Round(summary.catalog_seconds, 3)},
                         {"model_load", Round(summary.model_seconds, 3)},
                         {"model_broadcast", Round(summary.broadcast_seconds, 3)},
                         {"read", Round(summary.stages.read, 3)},
                         {"decode_preprocess", Round(summary.stages.decode, 3)},
                         {"infer", Round(summary.stages.infer, 3)},
                         {"write", Round(summary.stages.write, 3)}};
  manifest["images_per_second"] = Round(summary.images_per_second, 1);
  if (summary.processes > 1) {
    nlohmann::ordered_json ranks = nlohmann::ordered_json::array();
    for (const RankFigures& r : summary.ranks) {
      ranks.push_back({{"rank", r.rank},
                       {"shards", r.shards},
                       {"images", r.images},
                       {"images_per_second", Round(r.seconds > 0 ? r.images / r.seconds : 0, 1)},
                       {"seconds", Round(r.seconds, 3)},
                       {"seconds_waiting", Round(r.seconds_waiting, 3)}});
    }
    manifest["ranks"] = ranks;
  }
  manifest["peak_memory_mib"] = Round(static_cast<double>(PeakResidentBytes()) / (1 << 20), 1);
  manifest["outputs"] = {{"features", layout.FeaturesFolder()}, {"errors", layout.ErrorsFolder()}};
  auto file = store.NewWritableFile(layout.Manifest());
  file->Append(manifest.dump(2) + "\n");
  file->Commit();
}

void AddPcaToManifest(storage::ObjectStore& store, const OutputLayout& layout, const FitResult& fit,
                      const TransformResult& transform, double extract_seconds) {
  auto text = store.Read(layout.Manifest());
  if (!text.ok()) throw Error("cannot read '" + layout.Manifest() + "': " + text.error());
  nlohmann::ordered_json manifest = nlohmann::ordered_json::parse(text.value());
  const pca::PcaModel& model = fit.model;
  manifest["command"] = "run";
  manifest["pca"] = {{"rows", model.n()},
                     {"d_in", model.d_in()},
                     {"k", model.d_out()},
                     {"k_reason", model.k_reason()},
                     {"variance_kept", Round(model.VarianceKept(), 6)},
                     {"whiten", model.whiten()},
                     {"model_reused", fit.reused},
                     {"parts_written", transform.parts_written},
                     {"parts_resumed", transform.parts_resumed}};
  manifest["outputs"]["pca_model"] = layout.PcaModelFolder();
  manifest["outputs"]["pca"] = layout.PcaFolder();
  manifest["step_seconds"] = {{"extract", Round(extract_seconds, 3)},
                              {"pca_moments", Round(fit.seconds_moments, 3)},
                              {"pca_reduce", Round(fit.seconds_reduce, 3)},
                              {"pca_fit", Round(fit.seconds_fit, 3)},
                              {"pca_transform", Round(transform.seconds, 3)}};
  auto file = store.NewWritableFile(layout.Manifest());
  file->Append(manifest.dump(2) + "\n");
  file->Commit();
}

}  // namespace fruits::pipeline
