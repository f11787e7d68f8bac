// ActivationRanges and QuantizationForRange: minmax exactly, percentile against a brute-force
// count over the sorted values, entropy on distributions whose right answer is plain (a bulk with
// a far outlier is clipped, a uniform one is not), and the int8 parameters' formula.

#include "model/quantization/activation_ranges.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "util/error.h"

namespace fruits::model::quantization {
namespace {

// Both passes of `method` over `values`, arriving in batches of `batch` values.
ActivationRanges Calibrate(CalibrationMethod method, const std::vector<float>& values,
                           size_t batch) {
  ActivationRanges ranges(1, method);
  auto each_batch = [&](auto observe) {
    for (size_t begin = 0; begin < values.size(); begin += batch) {
      const size_t size = std::min(batch, values.size() - begin);
      observe(std::span<const float>(values.data() + begin, size));
    }
  };
  each_batch([&](std::span<const float> v) { ranges.ObserveExtremes(0, v); });
  if (ranges.NeedsHistogramPass()) {
    each_batch([&](std::span<const float> v) { ranges.ObserveHistogram(0, v); });
  }
  return ranges;
}

std::vector<float> Gaussian(size_t count, double mean, double sigma, unsigned seed) {
  std::mt19937 random(seed);
  std::normal_distribution<double> normal(mean, sigma);
  std::vector<float> values(count);
  for (float& v : values) v = static_cast<float>(normal(random));
  return values;
}

TEST(CalibrationMethodTest, ParsesTheThreeNamesAndRefusesOthers) {
  for (auto method :
       {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    EXPECT_EQ(ParseCalibrationMethod(CalibrationMethodName(method)), method);
  }
  EXPECT_EQ(CalibrationMethodName(CalibrationMethod::kEntropy), "entropy");
  try {
    ParseCalibrationMethod("kl");
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'kl'"), std::string::npos) << message;
    EXPECT_NE(message.find("minmax, percentile or entropy"), std::string::npos) << message;
  }
}

TEST(QuantizationForRangeTest, FollowsTheFormula) {
  // All zero: one point, scale 1, zero point 0.
  ActivationQuantization zero = QuantizationForRange(0, 0);
  EXPECT_EQ(zero.scale, 1.0f);
  EXPECT_EQ(zero.zero_point, 0);
  // All positive (a ReLU output): 0 is the lowest code.
  ActivationQuantization relu = QuantizationForRange(0, 6);
  EXPECT_FLOAT_EQ(relu.scale, 6.0f / 255);
  EXPECT_EQ(relu.zero_point, -128);
  // Symmetric: -128 + 127.5 = -0.5 rounds half to even, to 0.
  ActivationQuantization symmetric = QuantizationForRange(-2.55f, 2.55f);
  EXPECT_FLOAT_EQ(symmetric.scale, 0.02f);
  EXPECT_EQ(symmetric.zero_point, 0);
  // All negative: 0 is the highest code.
  EXPECT_EQ(QuantizationForRange(-1, 0).zero_point, 127);
  // [-1, 3]: scale 4/255, zero point round(-128 + 63.75) = -64.
  ActivationQuantization lopsided = QuantizationForRange(-1, 3);
  EXPECT_FLOAT_EQ(lopsided.scale, 4.0f / 255);
  EXPECT_EQ(lopsided.zero_point, -64);
  // Both ends map onto the int8 ends, to within the zero point's rounding (63.75 -> 64).
  EXPECT_NEAR(-1 / lopsided.scale + lopsided.zero_point, -128, 0.25 + 1e-3);
  EXPECT_NEAR(3 / lopsided.scale + lopsided.zero_point, 127, 0.25 + 1e-3);
}

TEST(ActivationRangesTest, MinMaxIsTheExtremesWithZero) {
  ActivationRanges ranges(3, CalibrationMethod::kMinMax);
  EXPECT_FALSE(ranges.NeedsHistogramPass());
  const std::vector<float> a = {-0.5f, 2, 1.25f}, b = {3.5f, -0.75f}, positive = {1, 4};
  const std::vector<float> negative = {-3, -2};
  ranges.ObserveExtremes(0, a);
  ranges.ObserveExtremes(0, b);
  ranges.ObserveExtremes(1, positive);
  ranges.ObserveExtremes(2, negative);
  EXPECT_EQ(ranges.Range(0), (std::pair<float, float>{-0.75f, 3.5f}));
  EXPECT_EQ(ranges.Range(1), (std::pair<float, float>{0, 4}));
  EXPECT_EQ(ranges.Range(2), (std::pair<float, float>{-3, 0}));
  EXPECT_EQ(ranges.Quantization(1).zero_point, -128);
  EXPECT_FLOAT_EQ(ranges.Quantization(1).scale, 4.0f / 255);
}

TEST(ActivationRangesTest, AllZeroTensorGetsScaleOne) {
  for (auto method :
       {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    ActivationRanges ranges = Calibrate(method, std::vector<float>(100, 0.0f), 30);
    EXPECT_EQ(ranges.Range(0), (std::pair<float, float>{0, 0}));
    EXPECT_EQ(ranges.Quantization(0).scale, 1.0f);
  }
}

TEST(ActivationRangesTest, PercentileDropsTheMostExtremeValuesAtEachEnd) {
  // 300,000 values: 0.001% is 3 at each end, the outliers planted there.
  std::vector<float> values = Gaussian(300000 - 6, 1, 2, 7);
  for (float outlier : {-90.0f, -80.0f, -70.0f, 60.0f, 75.0f, 100.0f}) values.push_back(outlier);
  std::shuffle(values.begin(), values.end(), std::mt19937(3));
  const auto [lo, hi] = Calibrate(CalibrationMethod::kPercentile, values, 4096).Range(0);

  // The reference: the kept values are sorted[3 .. n - 4]; the range reaches them to within
  // one of the 2048 bins spanning [-90, 100].
  std::vector<float> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const size_t dropped = 3;
  const float lowest_kept = sorted[dropped], highest_kept = sorted[sorted.size() - 1 - dropped];
  const double bin = (100.0 + 90.0) / 2048;
  EXPECT_LE(lo, lowest_kept);
  EXPECT_GT(lo, lowest_kept - bin);
  EXPECT_GE(hi, highest_kept);
  EXPECT_LT(hi, highest_kept + bin);
}

TEST(ActivationRangesTest, PercentileKeepsEverythingOfASmallSample) {
  // Under 100,000 values 0.001% is less than one value: nothing is dropped.
  const std::vector<float> values = {0.5f, 2, 7, 1, 3};
  const auto [lo, hi] = Calibrate(CalibrationMethod::kPercentile, values, 2).Range(0);
  EXPECT_EQ(lo, 0.0f);
  EXPECT_FLOAT_EQ(hi, 7);
}

TEST(ActivationRangesTest, EntropyClipsAFarOutlier) {
  // A ReLU-like bulk in [0, ~4] and one value at 1000: 8-bit steps of 1000/255 would crush
  // the bulk into a few codes.
  std::vector<float> values = Gaussian(100000, 0, 1, 11);
  for (float& v : values) v = std::max(v, 0.0f);
  values.push_back(1000);
  const auto [lo, hi] = Calibrate(CalibrationMethod::kEntropy, values, 1000).Range(0);
  EXPECT_EQ(lo, 0.0f);
  EXPECT_LT(hi, 100);
  EXPECT_GE(hi, 1000.0f / 16);  // no lower than 128 of the 2048 bins
}

TEST(ActivationRangesTest, EntropyClipsAnOutlierOnOneSideOnly) {
  // A Gaussian bulk on both sides of 0 with one outlier above: the low end stays the bulk's.
  std::vector<float> values = Gaussian(100000, 0, 1, 13);
  values.push_back(500);
  const float lowest = *std::min_element(values.begin(), values.end());
  const auto [lo, hi] = Calibrate(CalibrationMethod::kEntropy, values, 777).Range(0);
  EXPECT_EQ(lo, lowest);
  EXPECT_LT(hi, 100);
}

TEST(ActivationRangesTest, EntropyBarelyClipsAUniformDistribution) {
  std::mt19937 random(5);
  std::uniform_real_distribution<float> uniform(0, 1);
  std::vector<float> values(200000);
  for (float& v : values) v = uniform(random);
  const auto [lo, hi] = Calibrate(CalibrationMethod::kEntropy, values, 1000).Range(0);
  EXPECT_EQ(lo, 0.0f);
  EXPECT_GT(hi, 0.95f);
}

TEST(ActivationRangesTest, EntropyIsNotMisledByTheZerosOfAReluOutput) {
  // A ReLU6 output as the built-in MobileNetV2 gives: half exact zeros, the rest a Gaussian's
  // positive half (sigma 2) saturated at 6. Zeros are exact int8 codes; counted, their spike
  // would pull the threshold down to a sixth of the range.
  std::vector<float> values = Gaussian(200000, 0, 2, 19);
  for (float& v : values) v = std::clamp(v, 0.0f, 6.0f);
  const auto [lo, hi] = Calibrate(CalibrationMethod::kEntropy, values, 1000).Range(0);
  EXPECT_EQ(lo, 0.0f);
  EXPECT_GT(hi, 5.5f);
}

TEST(ActivationRangesTest, ResultsDoNotDependOnHowValuesAreBatched) {
  std::vector<float> values = Gaussian(50000, 0.5, 1, 17);
  values.push_back(40);
  values.push_back(-25);
  for (auto method : {CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    const auto whole = Calibrate(method, values, values.size()).Range(0);
    for (size_t batch : {1u, 333u, 4096u}) {
      EXPECT_EQ(Calibrate(method, values, batch).Range(0), whole)
          << CalibrationMethodName(method) << ", batches of " << batch;
    }
  }
}

TEST(ActivationRangesTest, IgnoresNonFiniteValues) {
  const std::vector<float> values = {1, NAN, -2, INFINITY, -INFINITY};
  EXPECT_EQ(Calibrate(CalibrationMethod::kMinMax, values, 5).Range(0),
            (std::pair<float, float>{-2, 1}));
}

}  // namespace
}  // namespace fruits::model::quantization
