#include "report/report_data.h"

#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include "pca/npy.h"
#include "pipeline/output_layout.h"
#include "report/failure_groups.h"
#include "report/label_order.h"
#include "report/scatter_sample.h"
#include "util/error.h"
#include "util/utc_now.h"
#include "util/version.h"

namespace fruits::report {

namespace {

using Json = nlohmann::ordered_json;

// The JSON file at `uri`, or nullopt when there is none. Throws Error when it exists but cannot
// be read or parsed.
std::optional<Json> ReadJsonIfPresent(storage::ObjectStore& store, const std::string& uri) {
  if (!store.Exists(uri)) return std::nullopt;
  Result<std::string> bytes = store.Read(uri);
  if (!bytes.ok()) throw Error("cannot read '" + uri + "': " + bytes.error());
  try {
    return Json::parse(bytes.value());
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + uri + "' is not valid JSON: " + e.what());
  }
}

// `value` rounded to `digits` significant digits: the scatter's coordinates need no more, and
// the page stays small.
double RoundSignificant(double value, int digits) {
  if (value == 0 || !std::isfinite(value)) return value;
  const double scale = std::pow(10.0, digits - 1 - std::floor(std::log10(std::fabs(value))));
  return std::round(value * scale) / scale;
}

Json FailuresOfSet(storage::ObjectStore& store, const std::string& set, const Json& counts,
                   const std::string& errors_folder) {
  const FailureSummary summary = SummarizeFailures(store, errors_folder);
  Json groups = Json::array();
  for (const FailureGroup& group : summary.groups) {
    groups.push_back({{"stage", group.stage},
                      {"reason", group.reason},
                      {"count", group.count},
                      {"paths", group.paths}});
  }
  return {{"set", set},
          {"images", counts.at("input").at("images")},
          {"failed", counts.at("results").at("failed")},
          {"groups", groups},
          {"failures_left_out", summary.failures_left_out},
          {"groups_left_out", summary.groups_left_out},
          {"reasons_untracked", summary.reasons_untracked}};
}

Json Failures(storage::ObjectStore& store, const pipeline::OutputLayout& layout,
              const Json& manifest) {
  Json sets = Json::array();
  sets.push_back(FailuresOfSet(store, "training", manifest, layout.ErrorsFolder()));
  if (manifest.contains("test")) {
    sets.push_back(FailuresOfSet(store, "test", manifest["test"],
                                 pipeline::OutputLayout(layout.TestRoot()).ErrorsFolder()));
  }
  return sets;
}

Json Scatter(storage::ObjectStore& store, const std::string& pca_folder,
             const ReportOptions& options) {
  const ScatterSample sample =
      SamplePcaParts(store, pca_folder, options.scatter_points, options.seed);
  if (sample.rows() == 0) return nullptr;
  const std::vector<ScatterPoint> points = sample.Points();
  std::map<std::string, int> label_index;
  for (const ScatterPoint& point : points) label_index[point.label] = 0;
  Json labels = Json::array();
  for (auto& [label, index] : label_index) {
    index = static_cast<int>(labels.size());
    labels.push_back(label);
  }
  Json rows = Json::array();
  for (const ScatterPoint& point : points) {
    rows.push_back(Json::array({RoundSignificant(point.pc1, 5), RoundSignificant(point.pc2, 5),
                                label_index[point.label], point.path}));
  }
  return {{"rows", sample.rows()},
          {"sample", points.size()},
          {"seed", options.seed},
          {"labels", labels},
          {"points", rows}};
}

Json Pca(storage::ObjectStore& store, const pipeline::OutputLayout& layout,
         const ReportOptions& options) {
  const std::string folder = layout.PcaModelFolder();
  std::optional<Json> model = ReadJsonIfPresent(store, storage::JoinUri(folder, "model.json"));
  if (!model) return nullptr;
  const std::string ratio_uri = storage::JoinUri(folder, "explained_variance_ratio.npy");
  Result<std::string> ratio_bytes = store.Read(ratio_uri);
  if (!ratio_bytes.ok()) throw Error("cannot read '" + ratio_uri + "': " + ratio_bytes.error());
  const pca::NpyArray ratio = pca::DecodeNpy(ratio_bytes.value(), ratio_uri);
  Json scatter = nullptr;
  if (model->value("k", 0) >= 2) scatter = Scatter(store, layout.PcaFolder(), options);
  return {{"model", *model}, {"explained_variance_ratio", ratio.values}, {"scatter", scatter}};
}

// The classifier folder whose model.json has the digest the evaluation names: the run's own, or
// the one metrics.json points to.
std::optional<std::pair<std::string, Json>> EvaluatedClassifier(
    storage::ObjectStore& store, const pipeline::OutputLayout& layout, const Json& metrics) {
  const Json& evaluated = metrics.value("classifier", Json::object());
  const std::string digest = evaluated.value("digest", "");
  std::vector<std::string> folders = {layout.ClassifierFolder()};
  if (evaluated.contains("folder")) folders.push_back(evaluated["folder"].get<std::string>());
  for (const std::string& folder : folders) {
    std::optional<Json> model = ReadJsonIfPresent(store, storage::JoinUri(folder, "model.json"));
    if (model && model->value("digest", "") == digest) return std::make_pair(folder, *model);
  }
  return std::nullopt;
}

// REQUIRES nothing of metrics.json: a matrix that is not square is an Error.
std::vector<std::vector<int64_t>> ConfusionMatrix(const Json& metrics,
                                                  const std::string& metrics_uri) {
  auto matrix = metrics.value("confusion_matrix", std::vector<std::vector<int64_t>>{});
  for (const std::vector<int64_t>& row : matrix) {
    if (row.size() != matrix.size()) {
      throw Error("'" + metrics_uri + "': the confusion matrix is not square");
    }
  }
  return matrix;
}

Json ConfusedExamplesJson(storage::ObjectStore& store, const std::string& evaluation,
                          const Json& metrics, const ReportOptions& options) {
  std::vector<ConfusedPair> pairs;
  for (const Json& pair : metrics.value("most_confused", Json::array())) {
    if (static_cast<int>(pairs.size()) == options.confused_pairs) break;
    pairs.push_back(
        {pair.at("true").get<std::string>(), pair.at("predicted").get<std::string>(), {}});
  }
  FindConfusedExamples(store, storage::JoinUri(evaluation, "predictions"), options.examples, pairs);
  Json confused = Json::array();
  for (const ConfusedPair& pair : pairs) {
    Json examples = Json::array();
    for (const ConfusedExample& example : pair.examples) {
      Json entry = {{"path", example.path}, {"probability", example.probability}};
      entry["thumbnail"] = example.thumbnail.empty() ? Json(nullptr) : Json(example.thumbnail);
      if (!example.error.empty()) entry["error"] = example.error;
      examples.push_back(entry);
    }
    confused.push_back(
        {{"true", pair.true_label}, {"predicted", pair.predicted}, {"examples", examples}});
  }
  return confused;
}

Json Classifier(storage::ObjectStore& store, const pipeline::OutputLayout& layout,
                const ReportOptions& options) {
  const std::string evaluation =
      options.evaluation.empty() ? layout.EvaluationFolder() : options.evaluation;
  const std::string metrics_uri = storage::JoinUri(evaluation, "metrics.json");
  std::optional<Json> metrics = ReadJsonIfPresent(store, metrics_uri);
  if (!metrics) {
    if (options.evaluation.empty()) return nullptr;
    throw UsageError("no metrics.json in '" + options.evaluation +
                     "' (--evaluation): give the output folder of fruits evaluate");
  }
  Json classifier;
  std::optional<std::pair<std::string, Json>> model = EvaluatedClassifier(store, layout, *metrics);
  classifier["folder"] = model ? Json(model->first) : Json(nullptr);
  classifier["model"] = model ? model->second : Json(nullptr);
  classifier["evaluation"] = evaluation;
  classifier["order"] = ConfusionOrder(ConfusionMatrix(*metrics, metrics_uri));
  classifier["confused_examples"] = ConfusedExamplesJson(store, evaluation, *metrics, options);
  classifier["metrics"] = std::move(*metrics);
  return classifier;
}

}  // namespace

Json CollectReportData(storage::ObjectStore& store, const ReportOptions& options) {
  const pipeline::OutputLayout layout(options.run);
  std::optional<Json> manifest = ReadJsonIfPresent(store, layout.Manifest());
  if (!manifest) {
    throw UsageError("no manifest.json in '" + options.run +
                     "': give the output folder of fruits run or fruits extract");
  }
  Json data;
  data["format"] = "fruits.report";
  data["version"] = 1;
  data["generated_at"] = UtcNow();
  data["generator"] = {{"version", kVersion}, {"git", kGitRevision}};
  data["output"] = options.run;
  data["failures"] = Failures(store, layout, *manifest);
  data["cost"] = RunCost(*manifest, options.cost);
  data["pca"] = Pca(store, layout, options);
  data["classifier"] = Classifier(store, layout, options);
  data["manifest"] = std::move(*manifest);
  return data;
}

}  // namespace fruits::report
