#include "classify/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>
#include <utility>

#include "util/byte_codec.h"
#include "util/error.h"

namespace fruits::classify {

namespace {

// Serialised layout, every integer a little-endian uint64 (util/byte_codec.h): magic, version,
// top_k, K, K labels (length + bytes), rows, top_k_hits, log-loss sum (3 limbs), the K x K
// confusion matrix row by row, per calibration bin (count, confidence sum (3 limbs), correct),
// the number of unknown labels, then each (name, rows).
constexpr char kMagic[8] = {'F', 'R', 'U', 'I', 'T', 'S', 'M', 'E'};
constexpr uint64_t kVersion = 1;

// log_loss(eps=1e-15): probabilities are clipped to [kClip, 1 - kClip].
constexpr double kClip = 1e-15;

// The calibration bin of a top probability: bin i holds (i / kCalibrationBins, (i + 1) /
// kCalibrationBins], with those edges as computed in double; 0 goes in the first bin.
int BinOf(double confidence) {
  int bin = static_cast<int>(std::ceil(confidence * kCalibrationBins)) - 1;
  bin = std::clamp(bin, 0, kCalibrationBins - 1);
  // The product above can round across an edge: settle against the edges themselves.
  while (bin > 0 && confidence <= static_cast<double>(bin) / kCalibrationBins) --bin;
  while (bin < kCalibrationBins - 1 && confidence > static_cast<double>(bin + 1) / kCalibrationBins)
    ++bin;
  return bin;
}

// A ratio, or null when its denominator is zero.
nlohmann::ordered_json Ratio(double numerator, double denominator) {
  if (denominator == 0) return nullptr;
  return numerator / denominator;
}

}  // namespace

void MetricsAccumulator::ExactSum::Add(double term) {
  if (!(term >= 0 && term < 0x1p32)) {
    throw InternalError("an exact sum term out of [0, 2^32): " + std::to_string(term));
  }
  if (term == 0) return;
  int exponent;
  const double fraction = std::frexp(term, &exponent);  // term = fraction * 2^exponent
  uint64_t mantissa = static_cast<uint64_t>(std::ldexp(fraction, 53));
  // The mantissa's lowest bit is worth 2^(exponent - 53) = 2^-128 * 2^shift.
  const int shift = exponent + 75;
  if (shift < 0) {
    // Bits below 2^-128 are dropped: the same for every order of the terms.
    if (shift <= -64) return;
    mantissa >>= -shift;
  }
  const int at = std::max(shift, 0);
  const int limb = at / 64;
  const int bit = at % 64;
  const uint64_t parts[2] = {mantissa << bit, bit == 0 ? 0 : mantissa >> (64 - bit)};
  for (int p = 0; p < 2; ++p) {
    uint64_t carry = parts[p];
    for (int i = limb + p; i < 3 && carry != 0; ++i) {
      limbs[i] += carry;
      carry = limbs[i] < carry ? 1 : 0;
    }
  }
}

void MetricsAccumulator::ExactSum::Add(const ExactSum& other) {
  uint64_t carry = 0;
  for (int i = 0; i < 3; ++i) {
    const uint64_t sum = limbs[i] + other.limbs[i];
    const uint64_t with_carry = sum + carry;
    carry = (sum < limbs[i] ? 1 : 0) + (with_carry < sum ? 1 : 0);
    limbs[i] = with_carry;
  }
}

double MetricsAccumulator::ExactSum::Value() const {
  return std::ldexp(static_cast<double>(limbs[0]), -128) +
         std::ldexp(static_cast<double>(limbs[1]), -64) + static_cast<double>(limbs[2]);
}

MetricsAccumulator::MetricsAccumulator(std::vector<std::string> labels, int top_k)
    : labels_(std::move(labels)), top_k_(top_k) {
  if (labels_.empty() || top_k_ < 1) {
    throw InternalError("metrics over " + std::to_string(labels_.size()) + " labels with top_k " +
                        std::to_string(top_k_));
  }
  const size_t k = labels_.size();
  confusion_.assign(k * k, 0);
  bin_count_.assign(kCalibrationBins, 0);
  bin_confidence_sum_.assign(kCalibrationBins, ExactSum());
  bin_correct_.assign(kCalibrationBins, 0);
}

void MetricsAccumulator::Add(int64_t true_index, std::span<const double> probabilities) {
  const int64_t k = static_cast<int64_t>(labels_.size());
  if (true_index < 0 || true_index >= k || static_cast<int64_t>(probabilities.size()) != k) {
    throw InternalError("a metrics row with true index " + std::to_string(true_index) + " and " +
                        std::to_string(probabilities.size()) + " probabilities, for " +
                        std::to_string(k) + " labels");
  }
  for (double p : probabilities) {
    if (!(p >= 0 && p <= 1)) throw InternalError("a probability of " + std::to_string(p));
  }
  const double p_true = probabilities[true_index];
  int64_t predicted = 0;
  // The true label's rank, ties going to the lower index (as argmax does for rank 0).
  int64_t rank = 0;
  for (int64_t j = 0; j < k; ++j) {
    if (probabilities[j] > probabilities[predicted]) predicted = j;
    if (probabilities[j] > p_true || (probabilities[j] == p_true && j < true_index)) ++rank;
  }
  ++rows_;
  if (rank < top_k_) ++top_k_hits_;
  log_loss_sum_.Add(-std::log(std::clamp(p_true, kClip, 1 - kClip)));
  ++confusion_[true_index * k + predicted];
  const double confidence = probabilities[predicted];
  const int bin = BinOf(confidence);
  ++bin_count_[bin];
  bin_confidence_sum_[bin].Add(confidence);
  if (predicted == true_index) ++bin_correct_[bin];
}

void MetricsAccumulator::AddUnknown(const std::string& label) { ++unknown_[label]; }

void MetricsAccumulator::Merge(const MetricsAccumulator& other) {
  if (other.labels_ != labels_ || other.top_k_ != top_k_) {
    throw InternalError("merging metrics of different labels or top_k");
  }
  rows_ += other.rows_;
  top_k_hits_ += other.top_k_hits_;
  log_loss_sum_.Add(other.log_loss_sum_);
  for (size_t i = 0; i < confusion_.size(); ++i) confusion_[i] += other.confusion_[i];
  for (int b = 0; b < kCalibrationBins; ++b) {
    bin_count_[b] += other.bin_count_[b];
    bin_confidence_sum_[b].Add(other.bin_confidence_sum_[b]);
    bin_correct_[b] += other.bin_correct_[b];
  }
  for (const auto& [label, count] : other.unknown_) unknown_[label] += count;
}

int64_t MetricsAccumulator::unknown_rows() const {
  int64_t total = 0;
  for (const auto& [label, count] : unknown_) total += count;
  return total;
}

std::string MetricsAccumulator::Serialize() const {
  std::string out(kMagic, sizeof(kMagic));
  const auto append_sum = [&out](const ExactSum& sum) {
    for (uint64_t limb : sum.limbs) AppendU64(out, limb);
  };
  AppendU64(out, kVersion);
  AppendU64(out, static_cast<uint64_t>(top_k_));
  AppendU64(out, labels_.size());
  for (const std::string& label : labels_) AppendBytes(out, label);
  AppendU64(out, static_cast<uint64_t>(rows_));
  AppendU64(out, static_cast<uint64_t>(top_k_hits_));
  append_sum(log_loss_sum_);
  for (int64_t count : confusion_) AppendU64(out, static_cast<uint64_t>(count));
  for (int b = 0; b < kCalibrationBins; ++b) {
    AppendU64(out, static_cast<uint64_t>(bin_count_[b]));
    append_sum(bin_confidence_sum_[b]);
    AppendU64(out, static_cast<uint64_t>(bin_correct_[b]));
  }
  AppendU64(out, unknown_.size());
  for (const auto& [label, count] : unknown_) {
    AppendBytes(out, label);
    AppendU64(out, static_cast<uint64_t>(count));
  }
  return out;
}

MetricsAccumulator MetricsAccumulator::Deserialize(std::string_view bytes) {
  const auto corrupt = [](const std::string& why) {
    return Error("serialised metrics are corrupt (" + why +
                 "): use the same fruits version on every process");
  };
  if (bytes.size() < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    throw Error("these bytes are not serialised metrics (no FRUITSME header)");
  }
  ByteReader reader(bytes.substr(sizeof(kMagic)), "serialised metrics");
  const uint64_t version = reader.U64();
  if (version != kVersion) {
    throw Error("serialised metrics of version " + std::to_string(version) +
                ", this build reads version " + std::to_string(kVersion) +
                ": use the same fruits version on every process");
  }
  const uint64_t top_k = reader.U64();
  const uint64_t k = reader.U64();
  // Each label takes 8 bytes at least and the confusion matrix 8 * K * K: a K the bytes cannot
  // hold is refused before anything is allocated for it.
  if (top_k < 1 || top_k > (uint64_t{1} << 31) || k < 1 || k > bytes.size() / 8 / k) {
    throw corrupt("top_k " + std::to_string(top_k) + ", " + std::to_string(k) + " labels");
  }
  std::vector<std::string> labels;
  labels.reserve(k);
  for (uint64_t i = 0; i < k; ++i) labels.emplace_back(reader.Bytes());
  MetricsAccumulator metrics(std::move(labels), static_cast<int>(top_k));
  const auto read_count = [&reader, &corrupt]() {
    const uint64_t value = reader.U64();
    if (value > (uint64_t{1} << 62)) throw corrupt("a count of " + std::to_string(value));
    return static_cast<int64_t>(value);
  };
  const auto read_sum = [&reader](ExactSum& sum) {
    for (uint64_t& limb : sum.limbs) limb = reader.U64();
  };
  metrics.rows_ = read_count();
  metrics.top_k_hits_ = read_count();
  read_sum(metrics.log_loss_sum_);
  int64_t confusion_total = 0, diagonal = 0;
  for (uint64_t i = 0; i < k * k; ++i) {
    metrics.confusion_[i] = read_count();
    confusion_total += metrics.confusion_[i];
    if (i % (k + 1) == 0) diagonal += metrics.confusion_[i];
  }
  int64_t binned = 0, correct = 0;
  for (int b = 0; b < kCalibrationBins; ++b) {
    metrics.bin_count_[b] = read_count();
    read_sum(metrics.bin_confidence_sum_[b]);
    metrics.bin_correct_[b] = read_count();
    if (metrics.bin_correct_[b] > metrics.bin_count_[b]) throw corrupt("a calibration bin");
    binned += metrics.bin_count_[b];
    correct += metrics.bin_correct_[b];
  }
  if (confusion_total != metrics.rows_ || binned != metrics.rows_ || correct != diagonal ||
      metrics.top_k_hits_ > metrics.rows_ || metrics.top_k_hits_ < diagonal) {
    throw corrupt("the counts disagree");
  }
  const uint64_t unknown = reader.U64();
  for (uint64_t i = 0; i < unknown; ++i) {
    std::string label(reader.Bytes());
    metrics.unknown_[std::move(label)] = read_count();
  }
  if (!reader.done()) throw corrupt("bytes after the end");
  return metrics;
}

nlohmann::ordered_json MetricsAccumulator::ToJson() const {
  using nlohmann::ordered_json;
  const int64_t k = static_cast<int64_t>(labels_.size());
  const double n = static_cast<double>(rows_);
  std::vector<int64_t> support(k, 0), predicted(k, 0);
  int64_t correct = 0;
  for (int64_t t = 0; t < k; ++t) {
    for (int64_t p = 0; p < k; ++p) {
      support[t] += confusion_[t * k + p];
      predicted[p] += confusion_[t * k + p];
    }
    correct += confusion_[t * k + t];
  }

  // zero_division=0: a ratio over an empty set is 0.
  const auto safe = [](double numerator, double denominator) {
    return denominator == 0 ? 0.0 : numerator / denominator;
  };
  ordered_json per_label = ordered_json::array();
  double macro[3] = {0, 0, 0}, weighted[3] = {0, 0, 0};
  int64_t macro_labels = 0;
  for (int64_t i = 0; i < k; ++i) {
    const double tp = static_cast<double>(confusion_[i * k + i]);
    const double precision = safe(tp, static_cast<double>(predicted[i]));
    const double recall = safe(tp, static_cast<double>(support[i]));
    const double f1 = safe(2 * precision * recall, precision + recall);
    const double values[3] = {precision, recall, f1};
    // precision_recall_fscore_support(labels=None) averages over the labels seen as true or
    // predicted.
    const bool seen = support[i] > 0 || predicted[i] > 0;
    macro_labels += seen ? 1 : 0;
    for (int m = 0; m < 3; ++m) {
      if (seen) macro[m] += values[m];
      weighted[m] += values[m] * static_cast<double>(support[i]);
    }
    ordered_json entry;
    entry["label"] = labels_[i];
    entry["precision"] = rows_ == 0 ? ordered_json() : ordered_json(precision);
    entry["recall"] = rows_ == 0 ? ordered_json() : ordered_json(recall);
    entry["f1"] = rows_ == 0 ? ordered_json() : ordered_json(f1);
    entry["support"] = support[i];
    per_label.push_back(std::move(entry));
  }
  const auto averages = [](const double sums[3], double count) {
    ordered_json out;
    out["precision"] = Ratio(sums[0], count);
    out["recall"] = Ratio(sums[1], count);
    out["f1"] = Ratio(sums[2], count);
    return out;
  };

  ordered_json confusion = ordered_json::array();
  std::vector<std::tuple<int64_t, int64_t, int64_t>> cells;  // (-count, true, predicted)
  for (int64_t t = 0; t < k; ++t) {
    confusion.push_back(
        std::vector<int64_t>(confusion_.begin() + t * k, confusion_.begin() + (t + 1) * k));
    for (int64_t p = 0; p < k; ++p) {
      if (p != t && confusion_[t * k + p] > 0) cells.emplace_back(-confusion_[t * k + p], t, p);
    }
  }
  const size_t listed = std::min<size_t>(cells.size(), kMostConfusedPairs);
  std::partial_sort(cells.begin(), cells.begin() + listed, cells.end());
  ordered_json most_confused = ordered_json::array();
  for (size_t i = 0; i < listed; ++i) {
    const auto [negated, t, p] = cells[i];
    ordered_json entry;
    entry["true"] = labels_[t];
    entry["predicted"] = labels_[p];
    entry["count"] = -negated;
    entry["share_of_true"] = static_cast<double>(-negated) / static_cast<double>(support[t]);
    most_confused.push_back(std::move(entry));
  }

  ordered_json per_bin = ordered_json::array();
  double calibration_error = 0;
  for (int b = 0; b < kCalibrationBins; ++b) {
    const double count = static_cast<double>(bin_count_[b]);
    const double confidence = bin_confidence_sum_[b].Value();
    ordered_json entry;
    entry["lower"] = static_cast<double>(b) / kCalibrationBins;
    entry["upper"] = static_cast<double>(b + 1) / kCalibrationBins;
    entry["count"] = bin_count_[b];
    entry["confidence"] = Ratio(confidence, count);
    entry["accuracy"] = Ratio(static_cast<double>(bin_correct_[b]), count);
    per_bin.push_back(std::move(entry));
    if (bin_count_[b] > 0) {
      calibration_error +=
          std::abs(static_cast<double>(bin_correct_[b]) / count - confidence / count) * count / n;
    }
  }
  ordered_json calibration;
  calibration["bins"] = kCalibrationBins;
  calibration["expected_calibration_error"] =
      rows_ == 0 ? ordered_json() : ordered_json(calibration_error);
  calibration["per_bin"] = std::move(per_bin);

  ordered_json unknown;
  unknown["rows"] = unknown_rows();
  unknown["labels"] = ordered_json::object();
  for (const auto& [label, count] : unknown_) unknown["labels"][label] = count;

  ordered_json json;
  json["format"] = "fruits.metrics";
  json["version"] = 1;
  json["n"] = rows_;
  json["accuracy"] = Ratio(static_cast<double>(correct), n);
  json["top_k"] = std::min<int64_t>(top_k_, k);
  json["top_k_accuracy"] = Ratio(static_cast<double>(top_k_hits_), n);
  json["log_loss"] = Ratio(log_loss_sum_.Value(), n);
  json["macro"] = averages(macro, static_cast<double>(macro_labels));
  json["weighted"] = averages(weighted, n);
  json["per_label"] = std::move(per_label);
  json["labels"] = labels_;
  json["confusion_matrix"] = std::move(confusion);
  json["most_confused"] = std::move(most_confused);
  json["calibration"] = std::move(calibration);
  json["unknown_labels"] = std::move(unknown);
  return json;
}

}  // namespace fruits::classify
