// Choosing k, the number of PCA components the classifier uses, by validation accuracy
// (`--k auto`): a fit per candidate k, the smallest k within kKWithinPoints of the best.
//
// Candidates are fitted in increasing order on the first k columns of the same coordinates (one
// PCA projection serves every k), each starting from the previous one's weights. The whole
// curve is kept for model.json and the report. Thread-safety: as SoftmaxRegression::Fit.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "classify/softmax_regression.h"

namespace fruits::classify {

// Accuracy points (percent) below the best that a smaller k may lose and still be chosen.
inline constexpr double kKWithinPoints = 0.2;

// Labelled rows in memory: `stride` PCA coordinates per row (float32) and label indices.
struct LabelledMatrix {
  int64_t stride = 0;
  std::vector<float> x;  // rows() x stride, row-major
  std::vector<int32_t> labels;

  int64_t rows() const { return static_cast<int64_t>(labels.size()); }
  // The first k coordinates of every row. REQUIRES: k <= stride.
  RowsView View(int64_t k) const { return {x.data(), rows(), k, stride}; }
};

// One point of the k curve.
struct KCandidate {
  int64_t k = 0;
  double training_accuracy = 0;
  std::optional<double> validation_accuracy;  // absent without validation rows
  double objective = 0;
  int iterations = 0;
  LbfgsStop stop = LbfgsStop::kConverged;
  double seconds = 0;
};

struct KSearchResult {
  SoftmaxFit fit;  // at the chosen k
  std::vector<KCandidate> curve;
  size_t chosen = 0;   // in curve
  std::string reason;  // why k is what it is, for people; empty with a single candidate
};

// The index of the smallest k whose validation accuracy is at least the best minus
// kKWithinPoints. REQUIRES: every candidate has a validation accuracy, curve sorted by k.
size_t ChooseK(std::span<const KCandidate> curve);

// Fits every candidate k on `train` and chooses one (with a single candidate, that one).
// `validation` may be null with a single candidate. REQUIRES: candidates sorted, unique, each in
// [1, train.stride]; validation rows have the same stride (checked: InternalError).
KSearchResult SearchK(const LabelledMatrix& train, const LabelledMatrix* validation,
                      std::span<const int64_t> candidates, int64_t num_labels,
                      const SoftmaxOptions& options);

}  // namespace fruits::classify
