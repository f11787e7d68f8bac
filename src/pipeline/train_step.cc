#include "pipeline/train_step.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <set>

#include "classify/holdout.h"
#include "classify/k_search.h"
#include "parquet/reader.h"
#include "pca/pca_model.h"
#include "pipeline/features_part.h"
#include "pipeline/for_each_part.h"
#include "pipeline/pca_steps.h"
#include "util/error.h"
#include "util/log.h"
#include "util/seconds_since.h"
#include "util/version.h"

namespace fruits::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

void CheckOptions(const TrainOptions& options) {
  if (options.holdout != 0 && !(options.holdout > 0 && options.holdout < 1)) {
    throw UsageError("--holdout must be a fraction of the training rows between 0 and 1, e.g. 0.1");
  }
  if (!options.validation.empty() && options.holdout > 0) {
    throw UsageError("give --validation or --holdout, not both");
  }
  if (options.k.automatic) {
    if (options.validation.empty() && options.holdout == 0) {
      throw UsageError(
          "--k auto chooses k by validation accuracy: give --validation VAL/features or "
          "--holdout 0.1");
    }
    if (options.k.candidates.empty()) throw UsageError("--k-candidates lists no k");
    for (int64_t k : options.k.candidates) {
      if (k < 1) throw UsageError("--k-candidates must be positive, got " + std::to_string(k));
    }
  }
}

std::string CandidatesText(const std::vector<int64_t>& candidates) {
  std::string text;
  for (int64_t k : candidates)
    fmt::format_to(std::back_inserter(text), "{}{}", text.empty() ? "" : ",", k);
  return text;
}

// What the classifier depends on besides its input rows: compared on resume.
std::string OptionsText(const TrainOptions& o) {
  return fmt::format(
      "k={} auto={} candidates={} variance={} whiten={} validation={} holdout={} seed={} c={} "
      "max_iterations={} tolerance={}",
      o.k.k, o.k.automatic, CandidatesText(o.k.candidates), o.k.variance, o.whiten, o.validation,
      o.holdout, o.seed, o.softmax.c, o.softmax.max_iterations, o.softmax.tolerance);
}

// Rows read and projected, with their labels as written.
struct ProjectedRows {
  int64_t stride = 0;
  std::vector<float> x;
  std::vector<std::string> labels;
};

// Every row of `parts` projected by `pca`. Throws Error naming the image of a row without a
// label or with non-finite features, or the part whose rows have another size than the PCA's.
ProjectedRows Project(storage::ObjectStore& store, const std::vector<std::string>& parts,
                      const pca::PcaModel& pca) {
  int64_t total = 0;
  for (const std::string& part : parts) {
    total += parquet::ParquetReader(store.NewRandomAccessFile(part)).num_rows();
  }
  ProjectedRows rows;
  rows.stride = pca.d_out();
  rows.x.resize(static_cast<size_t>(total * rows.stride));
  rows.labels.reserve(static_cast<size_t>(total));
  int64_t done = 0;
  for (const std::string& uri : parts) {
    FeaturesPartReader part(store, uri);
    while (part.Next()) {
      if (part.dim() != pca.d_in()) {
        throw Error("'" + uri + "' holds " + std::to_string(part.dim()) +
                    " features per row, the PCA was fitted on " + std::to_string(pca.d_in()) +
                    ": use features of the same model");
      }
      part.CheckFinite("the classifier");
      for (int64_t r = 0; r < part.rows(); ++r) {
        if (part.labels()[r].empty()) {
          throw Error("'" + part.paths()[r] + "' (in " + uri +
                      ") has no label: a classifier trains on labelled rows (extract with "
                      "--label-from parent, images in one folder per label)");
        }
      }
      if (done + part.rows() > total) throw Error("'" + uri + "' changed while it was read");
      pca.Apply(part.features().data(), part.rows(), &rows.x[done * rows.stride]);
      rows.labels.insert(rows.labels.end(), part.labels().begin(), part.labels().end());
      done += part.rows();
    }
  }
  rows.x.resize(static_cast<size_t>(done * rows.stride));
  return rows;
}

// Training rows and the label list (sorted), or validation rows mapped onto that list: rows
// whose label is not in it are left out and counted.
struct LabelledSet {
  classify::LabelledMatrix matrix;
  std::map<std::string, int64_t> unknown;  // label -> rows left out
};

LabelledSet Index(ProjectedRows rows, const std::map<std::string, int32_t>& index) {
  LabelledSet set;
  set.matrix.stride = rows.stride;
  set.matrix.x = std::move(rows.x);
  int64_t kept = 0;
  for (size_t r = 0; r < rows.labels.size(); ++r) {
    const auto found = index.find(rows.labels[r]);
    if (found == index.end()) {
      ++set.unknown[rows.labels[r]];
      continue;
    }
    if (kept != static_cast<int64_t>(r)) {
      std::copy_n(&set.matrix.x[r * rows.stride], rows.stride, &set.matrix.x[kept * rows.stride]);
    }
    set.matrix.labels.push_back(found->second);
    ++kept;
  }
  set.matrix.x.resize(static_cast<size_t>(kept * rows.stride));
  return set;
}

// Moves the rows flagged in `held_out` from `train` into the returned matrix, keeping order.
classify::LabelledMatrix SplitOff(classify::LabelledMatrix& train,
                                  const std::vector<uint8_t>& held_out) {
  classify::LabelledMatrix validation;
  validation.stride = train.stride;
  const int64_t stride = train.stride;
  int64_t kept = 0;
  std::vector<int32_t> labels;
  for (int64_t r = 0; r < train.rows(); ++r) {
    const float* row = &train.x[r * stride];
    if (held_out[r]) {
      validation.x.insert(validation.x.end(), row, row + stride);
      validation.labels.push_back(train.labels[r]);
    } else {
      if (kept != r) std::copy_n(row, stride, &train.x[kept * stride]);
      labels.push_back(train.labels[r]);
      ++kept;
    }
  }
  train.x.resize(static_cast<size_t>(kept * stride));
  train.x.shrink_to_fit();
  train.labels = std::move(labels);
  return validation;
}

pca::PcaOptions PcaOptionsFor(const TrainOptions& options) {
  pca::PcaOptions pca;
  pca.whiten = options.whiten;
  if (options.k.automatic) {
    pca.k = *std::max_element(options.k.candidates.begin(), options.k.candidates.end());
  } else if (options.k.k > 0) {
    pca.k = options.k.k;
  } else {
    pca.variance = options.k.variance;
  }
  return pca;
}

// The candidates the PCA allows (at most its components), sorted; its largest when none.
std::vector<int64_t> Candidates(const TrainOptions& options, const pca::PcaModel& pca) {
  if (!options.k.automatic) return {pca.d_out()};
  std::set<int64_t> allowed;
  std::vector<int64_t> dropped;
  for (int64_t k : options.k.candidates) {
    if (k <= pca.d_out()) {
      allowed.insert(k);
    } else {
      dropped.push_back(k);
    }
  }
  if (!dropped.empty()) {
    LogWarning("k candidates " + CandidatesText(dropped) + " dropped: the PCA keeps at most " +
               std::to_string(pca.d_out()) + " components (" + pca.k_reason() + ")");
  }
  if (allowed.empty()) allowed.insert(pca.d_out());
  return {allowed.begin(), allowed.end()};
}

nlohmann::ordered_json CurveJson(const std::vector<classify::KCandidate>& curve) {
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (const classify::KCandidate& c : curve) {
    points.push_back({{"k", c.k},
                      {"training_accuracy", c.training_accuracy},
                      {"validation_accuracy", c.validation_accuracy.has_value()
                                                  ? nlohmann::ordered_json(*c.validation_accuracy)
                                                  : nlohmann::ordered_json()},
                      {"objective", c.objective},
                      {"iterations", c.iterations},
                      {"stop", classify::StopName(c.stop)},
                      {"seconds", RoundTo(c.seconds, 3)}});
  }
  return points;
}

ManifestSection TrainManifest(const TrainResult& result, const std::string& folder) {
  const nlohmann::ordered_json& d = result.classifier->description();
  ManifestSection m;
  m["classifier"] = {{"labels", result.classifier->num_labels()},
                     {"k", result.classifier->pca().d_out()},
                     {"k_reason", d.at("k_reason")},
                     {"training_rows", d.at("training").at("rows")},
                     {"training_accuracy", d.at("training").at("accuracy")},
                     {"validation", d.at("validation")},
                     {"reused", result.reused}};
  m["outputs"] = {{"classifier", folder}};
  m["step_seconds"] = {{"train_moments", RoundTo(result.seconds_moments, 3)},
                       {"train_project", RoundTo(result.seconds_project, 3)},
                       {"train_fit", RoundTo(result.seconds_fit, 3)}};
  return m;
}

// Rank 0's part of the training, after the moments: everything but the PCA moments.
classify::Classifier TrainOnRoot(storage::ObjectStore& store, const TrainOptions& options,
                                 const pca::Moments& moments, const std::vector<std::string>& parts,
                                 const std::string& features_digest, TrainResult& result) {
  auto start = Clock::now();
  const pca::PcaModel pca = pca::PcaModel::Fit(moments, PcaOptionsFor(options));
  ProjectedRows projected = Project(store, parts, pca);
  std::map<std::string, int32_t> index;
  for (const std::string& label :
       std::set<std::string>(projected.labels.begin(), projected.labels.end())) {
    index.emplace(label, static_cast<int32_t>(index.size()));
  }
  if (index.size() < 2) {
    throw Error("the features in '" + options.features + "' hold " +
                (index.empty() ? std::string("no row")
                               : "a single label ('" + index.begin()->first + "')") +
                ": a classifier needs rows of at least two labels");
  }
  std::vector<std::string> labels;
  for (const auto& [label, i] : index) labels.push_back(label);
  classify::LabelledMatrix train = Index(std::move(projected), index).matrix;

  std::optional<LabelledSet> validation;
  nlohmann::ordered_json validation_json;
  if (!options.validation.empty()) {
    const std::vector<std::string> validation_parts = FeatureParts(store, options.validation);
    validation = Index(Project(store, validation_parts, pca), index);
    int64_t unknown_rows = 0;
    std::string names;
    for (const auto& [label, rows] : validation->unknown) {
      unknown_rows += rows;
      if (names.size() < 200) names += fmt::format("{}'{}'", names.empty() ? "" : ", ", label);
    }
    if (unknown_rows > 0) {
      LogWarning(
          fmt::format("{} validation rows have labels the training rows lack ({}): left "
                      "out of the validation accuracy",
                      unknown_rows, names));
    }
    validation_json = {{"source", options.validation},
                       {"features_digest", FeaturesDigest(store, validation_parts)},
                       {"rows", validation->matrix.rows()},
                       {"unknown_label_rows", unknown_rows}};
  } else if (options.holdout > 0) {
    validation.emplace();
    validation->matrix = SplitOff(
        train,
        classify::StratifiedHoldout(train.labels, index.size(), options.holdout, options.seed));
    validation_json = {{"source", fmt::format("holdout: {:g}% of the training rows, stratified by "
                                              "label, seed {}",
                                              100 * options.holdout, options.seed)},
                       {"rows", validation->matrix.rows()}};
  }
  if (validation && validation->matrix.rows() == 0 && options.k.automatic) {
    throw Error("no validation row has a label of the training rows: --k auto cannot choose k");
  }
  result.seconds_project = SecondsSince(start);

  start = Clock::now();
  const std::vector<int64_t> candidates = Candidates(options, pca);
  classify::KSearchResult search =
      classify::SearchK(train, validation ? &validation->matrix : nullptr, candidates,
                        static_cast<int64_t>(labels.size()), options.softmax);
  const classify::KCandidate& chosen = search.curve[search.chosen];
  std::string reason = search.reason;
  if (reason.empty()) {
    reason = options.k.automatic
                 ? fmt::format(
                       "k = {} (--k auto: the only candidate within the {} components "
                       "the PCA keeps)",
                       chosen.k, pca.d_out())
                 : pca.k_reason();
  }
  if (validation_json.is_object() && chosen.validation_accuracy) {
    validation_json["accuracy"] = *chosen.validation_accuracy;
  }
  parquet::ParquetReader first(store.NewRandomAccessFile(parts.front()));
  nlohmann::ordered_json description = {
      {"k_reason", reason},
      {"k_curve", CurveJson(search.curve)},
      {"whiten", options.whiten},
      {"l2_c", options.softmax.c},
      {"max_iterations", options.softmax.max_iterations},
      {"tolerance", options.softmax.tolerance},
      {"training",
       {{"rows", train.rows()},
        {"accuracy", chosen.training_accuracy},
        {"objective", search.fit.objective},
        {"iterations", search.fit.iterations},
        {"stop", classify::StopName(search.fit.stop)},
        {"gradient_max", search.fit.gradient_max}}},
      {"validation", validation_json},
      {"pca", {{"rows", pca.n()}, {"d_in", pca.d_in()}, {"variance_kept", 0}}},
      {"features", {{"folder", options.features}, {"digest", features_digest}}},
      {"model",
       {{"sha256", first.FindMetadata(footer::kModelSha256).value_or("")},
        {"quantized", first.FindMetadata(footer::kModelQuantized).value_or("")},
        {"feature_layer", first.FindMetadata(footer::kFeatureLayer).value_or("")},
        {"preprocessing", first.FindMetadata(footer::kPreprocessing).value_or("")}}},
      {"options", OptionsText(options)},
      {"fruits_version", kVersion}};
  pca::PcaModel kept = pca.Truncated(chosen.k, reason);
  description["pca"]["variance_kept"] = kept.VarianceKept();
  classify::Classifier classifier(std::move(kept), std::move(search.fit.model), std::move(labels),
                                  std::move(description));
  classifier.Save(store, options.output);
  result.seconds_fit = SecondsSince(start);
  return classifier;
}

// Whether the classifier in `folder` was trained on these features with these options.
bool AlreadyTrained(storage::ObjectStore& store, const TrainOptions& options,
                    const std::string& features_digest) {
  if (!store.Exists(options.output + "/model.json")) return false;
  const classify::Classifier existing = classify::Classifier::Load(store, options.output);
  const nlohmann::ordered_json& d = existing.description();
  if (d.value("options", "") != OptionsText(options) ||
      d.at("features").value("digest", "") != features_digest) {
    return false;
  }
  if (options.validation.empty()) return true;
  return d.at("validation").value("features_digest", "") ==
         FeaturesDigest(store, FeatureParts(store, options.validation));
}

}  // namespace

TrainResult TrainClassifier(storage::ObjectStore& store, dist::Communicator& comm,
                            const TrainOptions& options) {
  CheckOptions(options);
  const std::vector<std::string> parts = SharedFeatureParts(store, comm, options.features);
  std::string features_digest;
  std::string reuse = "0";
  if (comm.is_root()) {
    features_digest = FeaturesDigest(store, parts);
    if (options.resume && AlreadyTrained(store, options, features_digest)) reuse = "1";
  }
  comm.Broadcast(reuse);
  TrainResult result;
  if (reuse == "1") {
    LogInfo("resuming: the classifier in '" + options.output + "' was trained on these features");
    result.classifier = classify::Classifier::Load(store, options.output);
    result.reused = true;
    result.manifest = TrainManifest(result, options.output);
    return result;
  }

  MomentsResult moments = FeaturesMoments(store, comm, parts, options.features);
  result.seconds_moments = moments.seconds_moments + moments.seconds_reduce;
  if (comm.is_root()) {
    result.classifier =
        TrainOnRoot(store, options, *moments.moments, parts, features_digest, result);
  }
  // The other processes read the classifier rank 0 saved in the shared output folder.
  comm.Barrier();
  if (!comm.is_root()) result.classifier = classify::Classifier::Load(store, options.output);
  result.manifest = TrainManifest(result, options.output);
  return result;
}

}  // namespace fruits::pipeline
