#include "classify/softmax_regression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "classify/classify_test_data.h"
#include "util/error.h"

namespace fruits::classify {
namespace {

RowsView View(const LabelledRows& data, int64_t k) { return {data.x.data(), data.n, k, data.d}; }

// The gradient of scikit-learn's objective at `model`, in float64, computed here from its
// definition: sum_i (p_i - onehot(y_i)) x_i^T + W / C, and sum_i (p_i - onehot(y_i)) for b.
std::vector<double> ObjectiveGradient(const SoftmaxRegression& model, const LabelledRows& data,
                                      double c) {
  const int64_t k = model.dim(), labels = model.num_labels();
  std::vector<double> p(data.n * labels);
  model.Probabilities(View(data, k), p.data());
  std::vector<double> gradient(labels * (k + 1), 0.0);
  for (int64_t r = 0; r < data.n; ++r) {
    for (int64_t j = 0; j < labels; ++j) {
      const double residual = p[r * labels + j] - (data.y[r] == j ? 1 : 0);
      for (int64_t i = 0; i < k; ++i) gradient[j * k + i] += residual * data.x[r * data.d + i];
      gradient[labels * k + j] += residual;
    }
  }
  for (int64_t i = 0; i < labels * k; ++i) gradient[i] += model.weights()[i] / c;
  return gradient;
}

double MaxAbs(const std::vector<double>& v) {
  double m = 0;
  for (double e : v) m = std::max(m, std::abs(e));
  return m;
}

TEST(SoftmaxRegression, FitEndsWhereTheObjectivesGradientVanishes) {
  const LabelledRows data = GaussianClasses(2000, 12, 4, 1.0, 3);
  SoftmaxOptions options;
  options.tolerance = 1e-7;
  for (const int64_t k : {1, 5, 12}) {
    const SoftmaxFit fit = SoftmaxRegression::Fit(View(data, k), data.y, 4, options);
    EXPECT_EQ(fit.stop, LbfgsStop::kConverged) << "k " << k;
    // The optimiser's gradient is that of objective / n: scaled back, it bounds ours.
    EXPECT_LE(MaxAbs(ObjectiveGradient(fit.model, data, options.c)), 1e-7 * data.n * 1.5)
        << "k " << k;
  }
}

// 40,000 rows or more start from a fit on every 8th row: the end is the same optimum, also when
// a label is missing from that sample (then the fit starts from zero).
TEST(SoftmaxRegression, ManyRowsReachTheSameOptimum) {
  LabelledRows data = GaussianClasses(48000, 6, 3, 1.0, 15);
  SoftmaxOptions options;
  options.tolerance = 1e-8;
  for (const bool label_missing_from_sample : {false, true}) {
    if (label_missing_from_sample) {
      for (int64_t r = 0; r < data.n; r += 8) data.y[r] = data.y[r] == 2 ? 0 : data.y[r];
    }
    const SoftmaxFit fit = SoftmaxRegression::Fit(View(data, 6), data.y, 3, options);
    EXPECT_EQ(fit.stop, LbfgsStop::kConverged);
    EXPECT_LE(MaxAbs(ObjectiveGradient(fit.model, data, options.c)), 1e-8 * data.n * 1.5);
  }
}

TEST(SoftmaxRegression, AWarmStartReachesTheSameOptimum) {
  const LabelledRows data = GaussianClasses(1500, 10, 3, 1.0, 4);
  SoftmaxOptions options;
  options.tolerance = 1e-8;
  const SoftmaxFit small = SoftmaxRegression::Fit(View(data, 4), data.y, 3, options);
  const SoftmaxFit cold = SoftmaxRegression::Fit(View(data, 10), data.y, 3, options);
  const SoftmaxFit warm = SoftmaxRegression::Fit(View(data, 10), data.y, 3, options, &small.model);
  EXPECT_NEAR(warm.objective, cold.objective, 1e-9 * cold.objective);
  for (size_t i = 0; i < cold.model.weights().size(); ++i) {
    EXPECT_NEAR(warm.model.weights()[i], cold.model.weights()[i], 1e-4);
  }
}

TEST(SoftmaxRegression, ProbabilitiesAreTheSoftmaxOfTheLogits) {
  const SoftmaxRegression model(3, 2, {1, -2, 0.5, 0.25, -1, 3}, {0.1, 0, -0.2});
  const std::vector<float> x = {1, 2, -0.5f, 4, 0, 0};
  std::vector<double> p(9);
  model.Probabilities({x.data(), 3, 2, 2}, p.data());
  for (int r = 0; r < 3; ++r) {
    double logits[3], sum = 0;
    for (int j = 0; j < 3; ++j) {
      logits[j] = model.bias()[j] + model.weights()[j * 2] * x[r * 2] +
                  model.weights()[j * 2 + 1] * x[r * 2 + 1];
      sum += std::exp(logits[j]);
    }
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(p[r * 3 + j], std::exp(logits[j]) / sum, 1e-15);
  }
  // Logits (-2.9, 1, 4.8), (-8.4, 0.75, 12.3), (0.1, 0, -0.2): label 2, 2, 0 are the most probable.
  const std::vector<int32_t> labels = {2, 1, 0};
  EXPECT_EQ(model.CountCorrect({x.data(), 3, 2, 2}, labels), 2);
}

TEST(SoftmaxRegression, BrokenPreconditionsThrow) {
  const LabelledRows data = GaussianClasses(10, 3, 2, 1.0, 5);
  std::vector<int32_t> labels = data.y;
  labels[3] = 2;
  EXPECT_THROW(SoftmaxRegression::Fit(View(data, 3), labels, 2, {}), InternalError);
  EXPECT_THROW(SoftmaxRegression::Fit(View(data, 3), std::span(data.y).first(5), 2, {}),
               InternalError);
  EXPECT_THROW(SoftmaxRegression(2, 3, {1, 2, 3}, {0, 0}), InternalError);
  const SoftmaxRegression model(2, 3, std::vector<double>(6), {0, 0});
  std::vector<double> p(20);
  EXPECT_THROW(model.Probabilities(View(data, 2), p.data()), InternalError);
}

}  // namespace
}  // namespace fruits::classify
