#include "pipeline/evaluate_step.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "classify/metrics.h"
#include "parquet/writer.h"
#include "pipeline/features_part.h"
#include "pipeline/for_each_part.h"
#include "pipeline/pca_steps.h"
#include "util/error.h"
#include "util/log.h"
#include "util/seconds_since.h"

namespace fruits::pipeline {

namespace {

// One row group's predictions, in the columns of PredictionsSchema.
struct PredictionColumns {
  std::vector<std::string> predicted;
  std::vector<float> probability;
  std::vector<std::string> top_labels;
  std::vector<float> top_probabilities;
  std::vector<int64_t> offsets;

  void Clear() {
    predicted.clear();
    probability.clear();
    top_labels.clear();
    top_probabilities.clear();
    offsets.assign(1, 0);
  }
};

// Classifies one part's rows, writes its predictions part, and returns its metrics.
classify::MetricsAccumulator EvaluatePart(storage::ObjectStore& store,
                                          const classify::Classifier& classifier, PartTask& task,
                                          int top) {
  const int64_t num_labels = classifier.num_labels();
  const int64_t listed = std::min<int64_t>(top, num_labels);
  classify::MetricsAccumulator metrics(classifier.labels(), top);
  parquet::WriterOptions writer_options;
  writer_options.metadata = task.metadata;
  parquet::ParquetWriter writer(store.NewWritableFile(task.output), PredictionsSchema(),
                                writer_options);
  FeaturesPartReader& part = task.input;
  std::vector<double> probabilities;
  std::vector<int64_t> order(static_cast<size_t>(num_labels));
  PredictionColumns columns;
  while (part.Next()) {
    if (part.dim() != classifier.pca().d_in()) {
      throw Error("'" + part.part() + "' holds " + std::to_string(part.dim()) +
                  " features per row, the classifier takes " +
                  std::to_string(classifier.pca().d_in()) +
                  ": evaluate on features of the model it was trained with");
    }
    part.CheckFinite("the classifier");
    probabilities.resize(static_cast<size_t>(part.rows() * num_labels));
    classifier.Classify(part.features().data(), part.rows(), probabilities.data());
    columns.Clear();
    for (int64_t r = 0; r < part.rows(); ++r) {
      const std::span<const double> p(&probabilities[r * num_labels],
                                      static_cast<size_t>(num_labels));
      std::iota(order.begin(), order.end(), 0);
      // Most probable first; on a tie the lower index, as numpy.argmax picks.
      std::partial_sort(
          order.begin(), order.begin() + listed, order.end(),
          [&p](int64_t a, int64_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
      columns.predicted.push_back(classifier.labels()[order[0]]);
      columns.probability.push_back(static_cast<float>(p[order[0]]));
      for (int64_t i = 0; i < listed; ++i) {
        columns.top_labels.push_back(classifier.labels()[order[i]]);
        columns.top_probabilities.push_back(static_cast<float>(p[order[i]]));
      }
      columns.offsets.push_back(columns.offsets.back() + listed);
      const std::string& label = part.labels()[r];
      const int64_t index = classifier.LabelIndex(label);
      if (index < 0) {
        metrics.AddUnknown(label);
      } else {
        metrics.Add(index, p);
      }
    }
    const parquet::ColumnValues out[] = {
        parquet::ColumnValues::Strings(part.paths()),
        parquet::ColumnValues::Strings(part.labels()),
        parquet::ColumnValues::Strings(columns.predicted),
        parquet::ColumnValues::Floats(columns.probability),
        parquet::ColumnValues::StringLists(columns.top_labels, columns.offsets),
        parquet::ColumnValues::FloatLists(columns.top_probabilities, columns.offsets)};
    writer.Write(out);
  }
  writer.Close();
  return metrics;
}

// Rank 0: the per-part metrics merged in part order.
classify::MetricsAccumulator MergeInPartOrder(const std::vector<std::string>& gathered,
                                              const classify::Classifier& classifier, int top) {
  classify::MetricsAccumulator total(classifier.labels(), top);
  for (const auto& [part, bytes] : PartResultsInOrder(gathered)) {
    total.Merge(classify::MetricsAccumulator::Deserialize(bytes));
  }
  return total;
}

ManifestSection EvaluateManifest(const EvaluateResult& result, const EvaluateOptions& options) {
  const nlohmann::ordered_json& m = result.metrics;
  ManifestSection section;
  section["evaluation"] = {{"rows", m.at("n")},
                           {"accuracy", m.at("accuracy")},
                           {"top_k", m.at("top_k")},
                           {"top_k_accuracy", m.at("top_k_accuracy")},
                           {"log_loss", m.at("log_loss")},
                           {"macro_f1", m.at("macro").at("f1")},
                           {"unknown_label_rows", m.at("unknown_labels").at("rows")},
                           {"reused", result.reused}};
  section["outputs"] = {{"predictions", options.output + "/predictions"},
                        {"metrics", options.output + "/metrics.json"}};
  section["step_seconds"] = {{"evaluate", RoundTo(result.seconds, 3)}};
  return section;
}

// metrics.json of an earlier evaluation of these features by this classifier, or null.
nlohmann::ordered_json Finished(storage::ObjectStore& store, const EvaluateOptions& options,
                                const std::string& classifier_digest,
                                const std::string& features_digest) {
  Result<std::string> text = store.Read(options.output + "/metrics.json");
  if (!text.ok()) return nullptr;
  nlohmann::ordered_json metrics = nlohmann::ordered_json::parse(text.value(), nullptr, false);
  if (metrics.is_discarded() || !metrics.contains("classifier") || !metrics.contains("features") ||
      metrics["classifier"].value("digest", "") != classifier_digest ||
      metrics["features"].value("digest", "") != features_digest ||
      metrics.value("top_requested", 0) != options.top) {
    return nullptr;
  }
  return metrics;
}

}  // namespace

EvaluateResult EvaluateClassifier(storage::ObjectStore& store, dist::Communicator& comm,
                                  const classify::Classifier& classifier,
                                  const std::string& classifier_folder,
                                  const EvaluateOptions& options) {
  if (options.top < 1) throw UsageError("--top must be at least 1");
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> parts = SharedFeatureParts(store, comm, options.features);
  std::string features_digest;
  std::string finished;
  if (comm.is_root()) {
    features_digest = FeaturesDigest(store, parts);
    if (options.resume) {
      const nlohmann::ordered_json metrics =
          Finished(store, options, classifier.digest(), features_digest);
      if (!metrics.is_null()) finished = metrics.dump();
    }
  }
  comm.Broadcast(finished);
  EvaluateResult result;
  if (!finished.empty()) {
    LogInfo("resuming: '" + options.output +
            "' holds this classifier's evaluation of these features");
    result.metrics = nlohmann::ordered_json::parse(finished);
    result.reused = true;
    result.manifest = EvaluateManifest(result, options);
    return result;
  }

  const PartOutputs outputs{
      options.output + "/predictions", {{footer::kClassifierDigest, classifier.digest()}}, false};
  std::string mine;
  ForEachPart(store, comm, parts, outputs, [&](PartTask& task) {
    const classify::MetricsAccumulator metrics = EvaluatePart(store, classifier, task, options.top);
    AppendPartResult(mine, task.index, metrics.Serialize());
  });
  const std::vector<std::string> gathered = comm.Gather(mine);
  std::string text;
  if (comm.is_root()) {
    nlohmann::ordered_json metrics = MergeInPartOrder(gathered, classifier, options.top).ToJson();
    metrics["top_requested"] = options.top;
    metrics["classifier"] = {{"folder", classifier_folder}, {"digest", classifier.digest()}};
    metrics["features"] = {{"folder", options.features}, {"digest", features_digest}};
    text = metrics.dump(2) + "\n";
    store.Write(options.output + "/metrics.json", text);
  }
  comm.Broadcast(text);
  result.metrics = nlohmann::ordered_json::parse(text);
  result.seconds = SecondsSince(start);
  result.manifest = EvaluateManifest(result, options);
  return result;
}

}  // namespace fruits::pipeline
