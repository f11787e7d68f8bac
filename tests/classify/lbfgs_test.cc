#include "classify/lbfgs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "util/error.h"

namespace fruits::classify {
namespace {

// sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2: minimum 0 at (1, ..., 1), a curved valley.
double Rosenbrock(std::span<const double> x, std::span<double> g) {
  double f = 0;
  std::fill(g.begin(), g.end(), 0.0);
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    const double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    f += 100 * a * a + b * b;
    g[i] += -400 * a * x[i] - 2 * b;
    g[i + 1] += 200 * a;
  }
  return f;
}

TEST(Lbfgs, FindsTheMinimumOfRosenbrocksValley) {
  for (const size_t n : {2, 10}) {
    std::vector<double> start(n, -1.2);
    const LbfgsResult r = MinimizeLbfgs(Rosenbrock, start, {.gradient_tolerance = 1e-6});
    EXPECT_EQ(r.stop, LbfgsStop::kConverged);
    EXPECT_LE(r.gradient_max, 1e-6);
    for (double v : r.x) EXPECT_NEAR(v, 1.0, 1e-5);
    EXPECT_NEAR(r.value, 0.0, 1e-10);
    EXPECT_LT(r.iterations, 200);
  }
}

// 0.5 sum_i s_i (x_i - i)^2 with s spanning three orders of magnitude, rounded to `Value`.
template <typename Value>
double Quadratic(std::span<const double> x, std::span<double> g) {
  double value = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double s = std::pow(10.0, 3.0 * i / (x.size() - 1)), e = x[i] - i;
    value += 0.5 * s * e * e;
    g[i] = s * e;
  }
  return static_cast<Value>(value);
}

TEST(Lbfgs, SolvesAnIllConditionedQuadratic) {
  const LbfgsResult r =
      MinimizeLbfgs(Quadratic<double>, std::vector<double>(30, 0.0), {.gradient_tolerance = 1e-6});
  EXPECT_EQ(r.stop, LbfgsStop::kConverged);
  for (size_t i = 0; i < r.x.size(); ++i) EXPECT_NEAR(r.x[i], static_cast<double>(i), 1e-6);
}

TEST(Lbfgs, StopsAtTheIterationLimit) {
  const LbfgsResult r =
      MinimizeLbfgs(Rosenbrock, {-1.2, 1.0}, {.max_iterations = 3, .gradient_tolerance = 1e-12});
  EXPECT_EQ(r.stop, LbfgsStop::kMaxIterations);
  EXPECT_EQ(r.iterations, 3);
  std::vector<double> gradient(2);
  EXPECT_LT(r.value, Rosenbrock(std::vector<double>{-1.2, 1.0}, gradient));
}

// A function known only to float precision: below that, no step can show a decrease.
TEST(Lbfgs, StopsWhenNoStepLowersTheFunction) {
  const LbfgsResult r =
      MinimizeLbfgs(Quadratic<float>, std::vector<double>(30, 0.0), {.gradient_tolerance = 1e-12});
  EXPECT_EQ(r.stop, LbfgsStop::kNoProgress);
  EXPECT_GT(r.gradient_max, 1e-12);
  for (size_t i = 0; i < r.x.size(); ++i) EXPECT_NEAR(r.x[i], static_cast<double>(i), 0.1);
}

TEST(Lbfgs, StartsConvergedWhenTheGradientIsAlreadySmall) {
  const LbfgsResult r = MinimizeLbfgs(Rosenbrock, {1.0, 1.0}, {});
  EXPECT_EQ(r.stop, LbfgsStop::kConverged);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_EQ(r.evaluations, 1);
}

TEST(Lbfgs, RefusesAnEmptyOrNonFiniteStart) {
  EXPECT_THROW(MinimizeLbfgs(Rosenbrock, {}, {}), InternalError);
  EXPECT_THROW(MinimizeLbfgs(Rosenbrock, {NAN, 1.0}, {}), InternalError);
}

}  // namespace
}  // namespace fruits::classify
