// Calibration statistics: the range of real values each activation tensor of a float model
// takes on the calibration images, and the int8 quantization chosen from it.
//
// A tensor's range comes from all its values over all calibration images (per tensor, never per
// channel). `minmax` takes the extremes; `percentile` and `entropy` need a second pass over the
// same images, once the extremes are known, to fill a histogram of 2048 bins spanning them:
// `percentile` drops the 0.001% most extreme values at each end (to the bins' edges), `entropy`
// picks the clipping threshold whose 8-bit quantization of the histogram loses the least
// information (the Kullback-Leibler divergence, as TensorRT's calibrator does). Entropy's
// histogram holds magnitudes |x| up to the largest, exact zeros left out (0 is an exact code,
// and a ReLU output's spike of zeros would pass for a loss); a threshold t clips the range to
// [max(lo, -t), min(hi, t)], and is never below 1/16 of the largest magnitude (128 bins).
// Every range is widened to contain 0, so that zero (padding, ReLU's floor) is exact. NaN and
// infinities are skipped. Results depend only on the values seen, not on how they are split in
// batches nor on threads: the same images give the same bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace fruits::model::quantization {

enum class CalibrationMethod { kMinMax, kPercentile, kEntropy };

// "minmax", "percentile", "entropy"; throws UsageError naming the three for anything else.
CalibrationMethod ParseCalibrationMethod(const std::string& name);
std::string CalibrationMethodName(CalibrationMethod method);

// int8 asymmetric, as ONNX QuantizeLinear defines it: q = saturate(round_half_even(x / scale) +
// zero_point) in [-128, 127].
struct ActivationQuantization {
  float scale = 1;
  int32_t zero_point = 0;
};

// [lo, hi] (lo <= 0 <= hi) onto [-128, 127]: scale = (hi - lo) / 255, zero_point =
// round(-128 - lo / scale); a range of one point (an all-zero tensor) gets scale 1, zero point 0.
ActivationQuantization QuantizationForRange(float lo, float hi);

class ActivationRanges {
 public:
  ActivationRanges(size_t tensor_count, CalibrationMethod method);

  // Pass 1, every method: the values of tensor `tensor` for one batch.
  void ObserveExtremes(size_t tensor, std::span<const float> values);
  // Whether the method needs pass 2 over the same images (percentile, entropy).
  bool NeedsHistogramPass() const;
  // Pass 2: the same images again. REQUIRES: pass 1 is complete.
  void ObserveHistogram(size_t tensor, std::span<const float> values);

  // The chosen range of a tensor, 0 included. REQUIRES: every pass the method needs is done and
  // the tensor had at least one value.
  std::pair<float, float> Range(size_t tensor) const;
  ActivationQuantization Quantization(size_t tensor) const;

 private:
  struct Tensor {
    float min = 0, max = 0;
    bool seen = false;
    std::vector<uint64_t> histogram;
  };
  CalibrationMethod method_;
  std::vector<Tensor> tensors_;
};

}  // namespace fruits::model::quantization
