// The figures of an evaluation (EVAL/metrics.json), accumulated row by row, with
// scikit-learn's definitions (sklearn.metrics), so they compare one to one.
//
// A MetricsAccumulator holds counts, never rows: a K x K confusion matrix, the top-k hits, the
// summed log-loss and the calibration bins. Per-part accumulators merge (in any order: every
// figure is a sum), and serialise for MPI. Definitions, over the rows whose label the classifier
// knows:
// - predicted label: the most probable (the lowest index on a tie, as numpy.argmax);
// - accuracy; top-k accuracy (the true label among the k most probable, ties ranked by index as
//   for the predicted label; k capped at K, and metrics.json's top_k is that capped k);
// - log-loss: the mean of -log(p_true), p clipped to [1e-15, 1 - 1e-15] (log_loss(eps=1e-15));
// - precision, recall, F1 per label with zero_division=0; macro averages over the labels that
//   occur as true or predicted label (precision_recall_fscore_support's default label set);
//   averages weighted by support;
// - the confusion matrix (rows: true label, columns: predicted, both in labels.txt order) and its
//   largest off-diagonal cells;
// - the expected calibration error over kCalibrationBins equal-width bins of the top
//   probability (Guo et al. 2017): sum over bins of |accuracy - mean confidence| x bin share.
// Rows whose label the classifier was not trained on are counted and named, in no other figure.
// The sums of doubles (log-loss, confidences) are kept in fixed point, exactly: however the rows
// are split into parts and merged, metrics.json is the same to the last bit.
// Not thread-safe: one accumulator per worker, merged.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fruits::classify {

inline constexpr int kCalibrationBins = 15;
// How many of the most confused (true, predicted) pairs metrics.json lists.
inline constexpr int kMostConfusedPairs = 10;

class MetricsAccumulator {
 public:
  // `labels`: the classifier's labels in index order (labels.txt). REQUIRES: top_k >= 1, at least
  // one label (checked: InternalError).
  MetricsAccumulator(std::vector<std::string> labels, int top_k);

  // One row whose true label is labels[true_index], with the classifier's probabilities (one per
  // label, summing to 1). REQUIRES: 0 <= true_index < K, probabilities.size() == K, every
  // probability in [0, 1] (checked: InternalError).
  void Add(int64_t true_index, std::span<const double> probabilities);
  // One row whose label is not one of the classifier's (or is empty).
  void AddUnknown(const std::string& label);
  // REQUIRES: the same labels and top_k (checked: InternalError).
  void Merge(const MetricsAccumulator& other);

  // Bytes Deserialize() restores exactly. Deserialize throws fruits::Error on bytes that are not
  // a serialised accumulator.
  std::string Serialize() const;
  static MetricsAccumulator Deserialize(std::string_view bytes);

  const std::vector<std::string>& labels() const { return labels_; }
  int top_k() const { return top_k_; }
  // Rows with a known label (the n of every figure), and rows without.
  int64_t rows() const { return rows_; }
  int64_t unknown_rows() const;

  // metrics.json: format "fruits.metrics", version 1, n, accuracy, top_k, top_k_accuracy,
  // log_loss, macro {precision, recall, f1}, weighted {precision, recall, f1}, per_label
  // [{label, precision, recall, f1, support}] in labels order, labels, confusion_matrix (K x K),
  // most_confused [{true, predicted, count, share_of_true}] (label names; the kMostConfusedPairs
  // largest cells, by count, then true index, then predicted index), calibration {bins,
  // expected_calibration_error, per_bin [{lower, upper, count, confidence, accuracy}]},
  // unknown_labels {rows, labels {name: rows}}. With no known row, the ratios are null.
  nlohmann::ordered_json ToJson() const;

 private:
  // A sum of doubles in [0, 2^32), exact to 2^-128 (three 64-bit limbs, the last 2^0..2^63):
  // integer additions, so the order of the terms does not change it.
  struct ExactSum {
    uint64_t limbs[3] = {0, 0, 0};  // limbs[0]: 2^-128..2^-65, limbs[1]: 2^-64..2^-1
    void Add(double term);
    void Add(const ExactSum& other);
    double Value() const;
  };

  std::vector<std::string> labels_;
  int top_k_;
  int64_t rows_ = 0;
  int64_t top_k_hits_ = 0;
  ExactSum log_loss_sum_;
  std::vector<int64_t> confusion_;  // K x K, row-major: [true][predicted]
  std::vector<int64_t> bin_count_;
  std::vector<ExactSum> bin_confidence_sum_;
  std::vector<int64_t> bin_correct_;
  std::map<std::string, int64_t> unknown_;
};

}  // namespace fruits::classify
