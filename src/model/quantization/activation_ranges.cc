#include "model/quantization/activation_ranges.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/error.h"

namespace fruits::model::quantization {

namespace {

constexpr size_t kHistogramBins = 2048;
// `percentile` keeps all but this fraction of the values at each end (0.001%).
constexpr double kPercentileDropped = 1e-5;
// `entropy` clips to no fewer than this many of the histogram's bins (TensorRT's 128 of 2048):
// the threshold stays above 1/16 of the largest magnitude.
constexpr size_t kEntropyMinBins = 128;
// int8 has 255 steps between its ends.
constexpr double kSteps = 255;

// The bin of `value` among `bins` equal bins spanning [lo, hi] (lo < hi); the top edge goes in
// the last bin.
size_t BinOf(double value, double lo, double hi, size_t bins) {
  const double position = (value - lo) / (hi - lo) * static_cast<double>(bins);
  return std::min(static_cast<size_t>(std::max(position, 0.0)), bins - 1);
}

// The range of the values between the `dropped`-th lowest and highest, to the bins' edges:
// `histogram` spans [lo, hi] with signed values.
std::pair<float, float> PercentileRange(const std::vector<uint64_t>& histogram, float lo,
                                        float hi) {
  uint64_t total = 0;
  for (uint64_t count : histogram) total += count;
  const auto dropped =
      static_cast<uint64_t>(std::floor(static_cast<double>(total) * kPercentileDropped));
  // The first bin from each end whose values, with those beyond it, exceed `dropped`.
  size_t first = 0;
  for (uint64_t below = 0; below + histogram[first] <= dropped; ++first) below += histogram[first];
  size_t last = histogram.size() - 1;
  for (uint64_t above = 0; above + histogram[last] <= dropped; --last) above += histogram[last];
  const double width = (static_cast<double>(hi) - lo) / static_cast<double>(histogram.size());
  return {static_cast<float>(lo + width * static_cast<double>(first)),
          static_cast<float>(lo + width * static_cast<double>(last + 1))};
}

// The Kullback-Leibler divergence of `reference` from its quantization onto `levels` levels:
// the bins are split into `levels` runs of (nearly) equal length, and each run's count is spread
// evenly over the bins of the run that held values in `clipped` (the reference without the
// values clipped into its last bin).
double QuantizationDivergence(const std::vector<double>& reference,
                              const std::vector<double>& clipped, size_t levels) {
  const size_t bins = reference.size();
  std::vector<double> quantized(bins, 0);
  for (size_t level = 0; level < levels; ++level) {
    const size_t begin = level * bins / levels, end = (level + 1) * bins / levels;
    double count = 0;
    size_t occupied = 0;
    for (size_t i = begin; i < end; ++i) {
      count += clipped[i];
      occupied += clipped[i] > 0 ? 1 : 0;
    }
    for (size_t i = begin; i < end; ++i) {
      if (clipped[i] > 0) quantized[i] = count / static_cast<double>(occupied);
    }
  }
  double reference_total = 0, quantized_total = 0;
  for (size_t i = 0; i < bins; ++i) {
    reference_total += reference[i];
    quantized_total += quantized[i];
  }
  // A bin the quantization leaves empty where the reference is not (the clipped values) costs
  // as if it held a tiny share, not an infinite divergence.
  constexpr double kEmptyShare = 1e-12;
  double divergence = 0;
  for (size_t i = 0; i < bins; ++i) {
    if (reference[i] == 0) continue;
    const double p = reference[i] / reference_total;
    const double q =
        quantized_total > 0 ? std::max(quantized[i] / quantized_total, kEmptyShare) : kEmptyShare;
    divergence += p * std::log(p / q);
  }
  return divergence;
}

// TensorRT's entropy calibration, for an asymmetric range: `histogram` holds magnitudes |x| over
// [0, max(-lo, hi)]. Each candidate threshold t (a bin edge) clips the range to
// [max(lo, -t), min(hi, t)]; the magnitudes below t then fall on as many int8 levels as that
// range's step gives them (255 for a ReLU output, 127.5 for a symmetric one), and the threshold
// whose quantized histogram diverges least from the clipped one wins (the lowest on a tie).
std::pair<float, float> EntropyRange(const std::vector<uint64_t>& histogram, float lo, float hi) {
  const double magnitude = std::max(-static_cast<double>(lo), static_cast<double>(hi));
  const double width = magnitude / static_cast<double>(histogram.size());
  auto window = [&](size_t bins) {
    const double threshold = width * static_cast<double>(bins);
    return std::pair<double, double>{std::max<double>(lo, -threshold),
                                     std::min<double>(hi, threshold)};
  };
  double best_divergence = std::numeric_limits<double>::infinity();
  size_t best_bins = histogram.size();
  for (size_t bins = kEntropyMinBins; bins <= histogram.size(); ++bins) {
    std::vector<double> clipped(histogram.begin(), histogram.begin() + bins);
    std::vector<double> reference = clipped;
    for (size_t i = bins; i < histogram.size(); ++i) reference.back() += histogram[i];
    const auto [low, high] = window(bins);
    const double step = (high - low) / kSteps;
    const double levels = std::nearbyint(width * static_cast<double>(bins) / step);
    const auto level_count = static_cast<size_t>(std::clamp(levels, 1.0, double(bins)));
    const double divergence = QuantizationDivergence(reference, clipped, level_count);
    if (divergence < best_divergence) {
      best_divergence = divergence;
      best_bins = bins;
    }
  }
  const auto [low, high] = window(best_bins);
  return {static_cast<float>(low), static_cast<float>(high)};
}

}  // namespace

CalibrationMethod ParseCalibrationMethod(const std::string& name) {
  if (name == "minmax") return CalibrationMethod::kMinMax;
  if (name == "percentile") return CalibrationMethod::kPercentile;
  if (name == "entropy") return CalibrationMethod::kEntropy;
  throw UsageError("unknown calibration method '" + name +
                   "': use --method minmax, percentile or entropy");
}

std::string CalibrationMethodName(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kMinMax:
      return "minmax";
    case CalibrationMethod::kPercentile:
      return "percentile";
    case CalibrationMethod::kEntropy:
      return "entropy";
  }
  throw InternalError("CalibrationMethodName: unknown method");
}

ActivationQuantization QuantizationForRange(float lo, float hi) {
  if (!(lo <= 0 && 0 <= hi)) {
    throw InternalError("QuantizationForRange: [" + std::to_string(lo) + ", " + std::to_string(hi) +
                        "] does not contain 0");
  }
  if (lo == hi) return {};
  ActivationQuantization q;
  q.scale = static_cast<float>((static_cast<double>(hi) - lo) / kSteps);
  const double zero_point = std::nearbyint(-128.0 - static_cast<double>(lo) / q.scale);
  q.zero_point = static_cast<int32_t>(std::clamp(zero_point, -128.0, 127.0));
  return q;
}

ActivationRanges::ActivationRanges(size_t tensor_count, CalibrationMethod method)
    : method_(method), tensors_(tensor_count) {}

void ActivationRanges::ObserveExtremes(size_t tensor, std::span<const float> values) {
  Tensor& t = tensors_.at(tensor);
  for (float v : values) {
    // NaN and infinities say nothing about a range int8 can hold.
    if (!std::isfinite(v)) continue;
    t.min = t.seen ? std::min(t.min, v) : v;
    t.max = t.seen ? std::max(t.max, v) : v;
    t.seen = true;
  }
}

bool ActivationRanges::NeedsHistogramPass() const { return method_ != CalibrationMethod::kMinMax; }

void ActivationRanges::ObserveHistogram(size_t tensor, std::span<const float> values) {
  Tensor& t = tensors_.at(tensor);
  if (!t.seen) throw InternalError("ObserveHistogram before the tensor's extremes were seen");
  if (t.histogram.empty()) t.histogram.assign(kHistogramBins, 0);
  const double lo = std::min(t.min, 0.0f), hi = std::max(t.max, 0.0f);
  if (lo == hi) return;
  // Percentile drops values at both ends of the signed range; entropy clips magnitudes.
  const bool magnitudes = method_ == CalibrationMethod::kEntropy;
  for (float v : values) {
    // Exact zeros (a ReLU's floor, padding) cost nothing at any threshold, 0 being one of the
    // int8 codes: left in, their spike would pass for a loss wherever the histogram's bins are
    // merged, and favour clipping to thresholds where they are not.
    if (!std::isfinite(v) || (magnitudes && v == 0)) continue;
    const size_t bin = magnitudes ? BinOf(std::fabs(v), 0, std::max(-lo, hi), kHistogramBins)
                                  : BinOf(v, lo, hi, kHistogramBins);
    ++t.histogram[bin];
  }
}

std::pair<float, float> ActivationRanges::Range(size_t tensor) const {
  const Tensor& t = tensors_.at(tensor);
  if (!t.seen) throw InternalError("ActivationRanges::Range of a tensor that had no values");
  const float lo = std::min(t.min, 0.0f), hi = std::max(t.max, 0.0f);
  if (method_ == CalibrationMethod::kMinMax || lo == hi) return {lo, hi};
  if (t.histogram.empty()) throw InternalError("ActivationRanges::Range before the histogram pass");
  const auto [low, high] = method_ == CalibrationMethod::kPercentile
                               ? PercentileRange(t.histogram, lo, hi)
                               : EntropyRange(t.histogram, lo, hi);
  // The bins' edges, not the values, bound these ranges: 0 stays inside.
  return {std::min(low, 0.0f), std::max(high, 0.0f)};
}

ActivationQuantization ActivationRanges::Quantization(size_t tensor) const {
  const auto [lo, hi] = Range(tensor);
  return QuantizationForRange(lo, hi);
}

}  // namespace fruits::model::quantization
