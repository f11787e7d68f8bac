// The training step: a run's features parts to a classifier folder (`fruits train`, and the
// classifier of `fruits run --test`).
//
// 1. PCA: the moments of every training row, spread over the processes like the PCA fit
//    (FeaturesMoments), one eigen-decomposition on rank 0 keeping as many components as the
//    largest k asked for.
// 2. On rank 0, every training row projected once to those components, in memory (float32: rows
//    x largest k x 4 bytes, 150 MiB for 150,000 rows at k = 256), with its label. Labels are
//    sorted (labels.txt order, as scikit-learn's classes_).
// 3. Validation rows: another run's features (`validation`), projected with the same PCA, or a
//    stratified, seeded `holdout` of the training rows (the PCA has seen their features, never
//    their labels).
// 4. A softmax regression per candidate k (classify::SearchK), the smallest k within 0.2 points
//    of the best validation accuracy; with a fixed k or a variance, the one k.
// 5. CLF/ written by rank 0 (classify::Classifier, model.json last); the others load it.
// With `resume`, a classifier already in the output folder trained on the same features with the
// same options is kept. Collective: every process calls it with the same options.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "classify/softmax_regression.h"
#include "dist/communicator.h"
#include "pipeline/manifest.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

// How k, the number of PCA components the classifier uses, is chosen: exactly one way.
struct KChoice {
  int64_t k = 0;           // a fixed k (> 0)
  bool automatic = false;  // the best of `candidates` on validation rows
  std::vector<int64_t> candidates = {8, 16, 32, 64, 128, 256};
  double variance = 0;  // the smallest k keeping this fraction of the variance
};

struct TrainOptions {
  std::string features;  // the training features folder (TRAIN/features)
  std::string output;    // CLF
  // Validation rows: a features folder, or a fraction of the training rows (0: none). `--k auto`
  // needs one of them.
  std::string validation;
  double holdout = 0;
  uint64_t seed = 0;  // of the holdout
  KChoice k;
  bool whiten = false;
  classify::SoftmaxOptions softmax;
  bool resume = false;
};

struct TrainResult {
  std::optional<classify::Classifier> classifier;  // always set on return
  bool reused = false;
  double seconds_moments = 0;  // PCA moments over the processes
  double seconds_project = 0;  // eigen-decomposition, reading and projecting the rows
  double seconds_fit = 0;      // the softmax regressions, saving
  // "classifier" (labels, k, k_reason, training and validation accuracy, reused), outputs
  // (classifier), step_seconds (train_moments, train_project, train_fit).
  ManifestSection manifest;
};

// Throws UsageError for options that cannot work (no validation for --k auto, a holdout outside
// (0, 1), candidates that are not positive), Error for training data that cannot give a
// classifier (a row without a label, naming its image; a single label; non-finite features,
// naming the image; no rows).
TrainResult TrainClassifier(storage::ObjectStore& store, dist::Communicator& comm,
                            const TrainOptions& options);

}  // namespace fruits::pipeline
