// The evaluation step: a classifier on a run's features parts (`fruits evaluate`, and the last
// step of `fruits run --test`).
//
// Every features part gets a predictions part, EVAL/predictions/part-NNNNN.parquet named as it
// (PredictionsSchema: the most probable label and the `top` most probable with their
// probabilities), the parts spread over the processes like the PCA transform. Metrics accumulate
// per part (counts, never rows: classify::MetricsAccumulator), merge in part order on rank 0,
// which writes EVAL/metrics.json last. With `resume`, an evaluation whose metrics.json names the
// same classifier, features and top is kept whole; an unfinished one is done again (it costs a
// fraction of the extraction that made its features). Collective.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "classify/classifier.h"
#include "dist/communicator.h"
#include "pipeline/manifest.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

struct EvaluateOptions {
  std::string features;  // TEST/features
  std::string output;    // EVAL
  // Labels (and probabilities) listed per row, and the k of the top-k accuracy.
  int top = 5;
  bool resume = false;
};

struct EvaluateResult {
  nlohmann::ordered_json metrics;  // metrics.json, on every process
  bool reused = false;
  double seconds = 0;
  // "evaluation" (rows, accuracy, top-k accuracy, log-loss, macro F1, reused), outputs
  // (predictions, metrics), step_seconds (evaluate).
  ManifestSection manifest;
};

// `classifier_folder` is recorded in metrics.json. Throws UsageError when `top` < 1 or the
// features folder holds no part, Error when the features have another size than the classifier
// takes.
EvaluateResult EvaluateClassifier(storage::ObjectStore& store, dist::Communicator& comm,
                                  const classify::Classifier& classifier,
                                  const std::string& classifier_folder,
                                  const EvaluateOptions& options);

}  // namespace fruits::pipeline
