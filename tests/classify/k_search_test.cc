#include "classify/k_search.h"

#include <gtest/gtest.h>

#include <vector>

#include "classify/classify_test_data.h"
#include "util/error.h"

namespace fruits::classify {
namespace {

std::vector<KCandidate> Curve(const std::vector<std::pair<int64_t, double>>& points) {
  std::vector<KCandidate> curve;
  for (const auto& [k, accuracy] : points) {
    KCandidate c;
    c.k = k;
    c.validation_accuracy = accuracy;
    curve.push_back(c);
  }
  return curve;
}

TEST(ChooseK, TheSmallestWithinTwoTenthsOfAPointOfTheBest) {
  // Best 0.9350 at k = 128: 0.9331 (1.9 tenths below) qualifies, 0.9329 does not.
  EXPECT_EQ(ChooseK(Curve({{8, 0.80}, {16, 0.9329}, {32, 0.9331}, {64, 0.934}, {128, 0.935}})), 2u);
  EXPECT_EQ(ChooseK(Curve({{8, 0.80}, {16, 0.90}, {32, 0.95}, {64, 0.94}})), 2u);
  // Exactly 0.2 points below counts as within.
  EXPECT_EQ(ChooseK(Curve({{8, 0.948}, {16, 0.95}})), 0u);
  EXPECT_EQ(ChooseK(Curve({{8, 0.5}})), 0u);
}

TEST(SearchK, FitsEveryCandidateAndKeepsTheCurve) {
  const LabelledRows data = GaussianClasses(1200, 16, 4, 1.0, 9);
  LabelledMatrix train{16, {}, {}}, validation{16, {}, {}};
  for (int64_t r = 0; r < data.n; ++r) {
    // Every fifth row: labels cycle with period 4, so each label gives validation rows.
    LabelledMatrix& to = r % 5 == 0 ? validation : train;
    to.x.insert(to.x.end(), &data.x[r * 16], &data.x[r * 16] + 16);
    to.labels.push_back(data.y[r]);
  }
  const std::vector<int64_t> candidates = {1, 2, 4, 16};
  const SoftmaxOptions options{.tolerance = 1e-8};  // converged: warm and cold starts agree
  const KSearchResult result = SearchK(train, &validation, candidates, 4, options);
  ASSERT_EQ(result.curve.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(result.curve[i].k, candidates[i]);
    ASSERT_TRUE(result.curve[i].validation_accuracy.has_value());
    // Each point is the fit on its own k: refitting from zero gives the same accuracy.
    const SoftmaxFit alone =
        SoftmaxRegression::Fit(train.View(candidates[i]), train.labels, 4, options);
    EXPECT_GT(*result.curve[i].validation_accuracy, 0.3);
    EXPECT_NEAR(result.curve[i].objective, alone.objective, 1e-6 * alone.objective);
  }
  EXPECT_EQ(result.chosen, ChooseK(result.curve));
  EXPECT_EQ(result.fit.model.dim(), result.curve[result.chosen].k);
  EXPECT_NE(result.reason.find("k = " + std::to_string(result.curve[result.chosen].k)),
            std::string::npos);
}

TEST(SearchK, OneCandidateNeedsNoValidation) {
  const LabelledRows data = GaussianClasses(300, 6, 3, 1.0, 10);
  const LabelledMatrix train{6, data.x, data.y};
  const std::vector<int64_t> candidates = {6};
  const KSearchResult result = SearchK(train, nullptr, candidates, 3, {});
  EXPECT_FALSE(result.curve[0].validation_accuracy.has_value());
  EXPECT_TRUE(result.reason.empty());
  const std::vector<int64_t> several = {2, 6};
  EXPECT_THROW(SearchK(train, nullptr, several, 3, {}), InternalError);
  const std::vector<int64_t> too_large = {7};
  EXPECT_THROW(SearchK(train, nullptr, too_large, 3, {}), InternalError);
}

}  // namespace
}  // namespace fruits::classify
