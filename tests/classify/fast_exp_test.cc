#include "classify/fast_exp.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fruits::classify {
namespace {

TEST(FastExp, WithinFiveTenMillionthsOfStdExp) {
  double worst = 0;
  for (int i = 0; i <= 2'000'000; ++i) {
    const float x = -87.0f + 175.0f * static_cast<float>(i) / 2'000'000;
    const double exact = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(FastExp(x) - exact) / exact);
  }
  EXPECT_LT(worst, 5e-7);
  EXPECT_EQ(FastExp(0.0f), 1.0f);
}

TEST(FastExp, ClampsFarBelowAndAbove) {
  EXPECT_EQ(FastExp(-1000.0f), FastExp(-87.0f));
  EXPECT_GT(FastExp(-1000.0f), 0.0f);
  EXPECT_TRUE(std::isfinite(FastExp(1000.0f)));
  EXPECT_EQ(FastExp(-INFINITY), FastExp(-87.0f));
}

}  // namespace
}  // namespace fruits::classify
