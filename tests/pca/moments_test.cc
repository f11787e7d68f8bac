#include "pca/moments.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "util/error.h"

namespace fruits::pca {
namespace {

// CNN-like features: a few latent factors plus noise, non-negative (after a ReLU), shifted by
// `offset`.
std::vector<float> Features(int64_t n, int64_t d, uint32_t seed, float offset = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  constexpr int kFactors = 6;
  std::vector<float> loadings(kFactors * d);
  for (float& w : loadings) w = normal(rng);
  std::vector<float> rows(n * d);
  for (int64_t r = 0; r < n; ++r) {
    float z[kFactors];
    for (float& v : z) v = normal(rng);
    for (int64_t j = 0; j < d; ++j) {
      float x = 0.5f + 0.3f * normal(rng);
      for (int f = 0; f < kFactors; ++f) x += 0.5f * loadings[f * d + j] * z[f];
      rows[r * d + j] = std::max(x, 0.0f) + offset;
    }
  }
  return rows;
}

// The textbook two-pass computation in long double: the mean first, then the scatter about it.
struct Reference {
  std::vector<double> mean;
  std::vector<double> scatter;
};

Reference TwoPass(const std::vector<float>& rows, int64_t d) {
  const int64_t n = static_cast<int64_t>(rows.size()) / d;
  std::vector<long double> mean(d, 0), scatter(d * d, 0);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < d; ++j) mean[j] += rows[r * d + j];
  }
  for (auto& m : mean) m /= n;
  std::vector<long double> centred(d);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < d; ++j) centred[j] = rows[r * d + j] - mean[j];
    for (int64_t i = 0; i < d; ++i) {
      for (int64_t j = 0; j < d; ++j) scatter[i * d + j] += centred[i] * centred[j];
    }
  }
  return {{mean.begin(), mean.end()}, {scatter.begin(), scatter.end()}};
}

// max |a - b| / max |b|.
double RelativeError(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double difference = 0, scale = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    difference = std::max(difference, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return difference / scale;
}

Moments AddInBatches(const std::vector<float>& rows, int64_t d, int64_t batch) {
  Moments moments(d);
  const int64_t n = static_cast<int64_t>(rows.size()) / d;
  for (int64_t start = 0; start < n; start += batch) {
    moments.Add(rows.data() + start * d, std::min(batch, n - start));
  }
  return moments;
}

TEST(Moments, MatchesTwoPassReference) {
  constexpr int64_t kDim = 24;
  const std::vector<float> rows = Features(3000, kDim, 1);
  const Moments moments = AddInBatches(rows, kDim, 1000);
  const Reference reference = TwoPass(rows, kDim);
  EXPECT_EQ(moments.count(), 3000);
  EXPECT_EQ(moments.dim(), kDim);
  EXPECT_LT(RelativeError(moments.mean(), reference.mean), 1e-14);
  EXPECT_LT(RelativeError(moments.Scatter(), reference.scatter), 1e-13);
}

// Features around 1e4 with a spread around 1: sum(x x^T) - n mean mean^T would lose every digit
// of the scatter; the pairwise update keeps them.
TEST(Moments, LargeOffsetLosesNoPrecision) {
  constexpr int64_t kDim = 16;
  const std::vector<float> rows = Features(3000, kDim, 2, 1e4f);
  const Moments moments = AddInBatches(rows, kDim, 500);
  const Reference reference = TwoPass(rows, kDim);
  EXPECT_NEAR(moments.mean()[0], 1e4, 10);
  EXPECT_LT(RelativeError(moments.mean(), reference.mean), 1e-15);
  EXPECT_LT(RelativeError(moments.Scatter(), reference.scatter), 1e-12);
}

TEST(Moments, CovarianceIsScatterOverCountMinusOneAndSymmetric) {
  constexpr int64_t kDim = 5;
  const std::vector<float> rows = Features(50, kDim, 3);
  const Moments moments = AddInBatches(rows, kDim, 50);
  const std::vector<double> scatter = moments.Scatter();
  const std::vector<double> covariance = moments.Covariance();
  for (int64_t i = 0; i < kDim; ++i) {
    for (int64_t j = 0; j < kDim; ++j) {
      EXPECT_EQ(scatter[i * kDim + j], scatter[j * kDim + i]);
      EXPECT_DOUBLE_EQ(covariance[i * kDim + j], scatter[i * kDim + j] / 49);
    }
    EXPECT_GT(scatter[i * kDim + i], 0);
  }
}

// Batches larger than the internal chunk (4096 rows of 1024 values) and batches of one row give
// what moderate batches give.
TEST(Moments, BatchSizeDoesNotMatter) {
  constexpr int64_t kDim = 1024;
  const std::vector<float> rows = Features(4500, kDim, 4);
  const Moments whole = AddInBatches(rows, kDim, 4500);
  const Moments moderate = AddInBatches(rows, kDim, 700);
  const Moments single_rows_then_rest = [&rows] {
    Moments moments = AddInBatches({rows.begin(), rows.begin() + 300 * kDim}, kDim, 1);
    moments.Add(rows.data() + 300 * kDim, 4200);
    return moments;
  }();
  for (const Moments* other : {&moderate, &single_rows_then_rest}) {
    EXPECT_EQ(other->count(), whole.count());
    EXPECT_LT(RelativeError(other->mean(), whole.mean()), 1e-14);
    EXPECT_LT(RelativeError(other->Scatter(), whole.Scatter()), 1e-12);
  }
}

TEST(Moments, MergedPartialsEqualOneAccumulation) {
  constexpr int64_t kDim = 32;
  const std::vector<float> rows = Features(5000, kDim, 5, 3.0f);
  const Moments single = AddInBatches(rows, kDim, 1000);
  // Uneven splits, each partial filled in its own batch size.
  for (const std::vector<int64_t>& splits : std::vector<std::vector<int64_t>>{
           {5000}, {1, 4999}, {3100, 1900}, {1, 2, 997, 1500, 13, 2000, 487}}) {
    Moments merged(kDim);
    int64_t start = 0;
    for (int64_t rows_here : splits) {
      ASSERT_LE(start + rows_here, 5000);
      Moments partial = AddInBatches(
          {rows.begin() + start * kDim, rows.begin() + (start + rows_here) * kDim}, kDim, 333);
      merged.Merge(partial);
      start += rows_here;
    }
    ASSERT_EQ(start, 5000);
    EXPECT_EQ(merged.count(), 5000);
    EXPECT_LT(RelativeError(merged.mean(), single.mean()), 1e-14) << splits.size() << " parts";
    EXPECT_LT(RelativeError(merged.Scatter(), single.Scatter()), 1e-12)
        << splits.size() << " parts";
  }
}

TEST(Moments, MergingEmptyMomentsChangesNothing) {
  constexpr int64_t kDim = 3;
  const std::vector<float> rows = Features(10, kDim, 6);
  Moments moments = AddInBatches(rows, kDim, 10);
  const std::string before = moments.Serialize();
  moments.Merge(Moments(kDim));
  EXPECT_EQ(moments.Serialize(), before);
  Moments empty(kDim);
  empty.Merge(moments);
  EXPECT_EQ(empty.Serialize(), before);
}

TEST(Moments, SerializeRoundTripIsExact) {
  constexpr int64_t kDim = 17;
  const std::vector<float> rows = Features(400, kDim, 7, 100.0f);
  const Moments original = AddInBatches(rows, kDim, 64);
  const Moments restored = Moments::Deserialize(original.Serialize());
  EXPECT_EQ(restored.dim(), kDim);
  EXPECT_EQ(restored.count(), 400);
  EXPECT_EQ(restored.mean(), original.mean());  // bit for bit
  EXPECT_EQ(restored.Scatter(), original.Scatter());
  // The restored moments go on accumulating exactly as the original would.
  Moments continued = original;
  Moments restored_continued = restored;
  continued.Add(rows.data(), 100);
  restored_continued.Add(rows.data(), 100);
  EXPECT_EQ(restored_continued.Serialize(), continued.Serialize());
  // Header (32 bytes), the mean, the upper triangle.
  EXPECT_EQ(original.Serialize().size(), 32u + 8 * (kDim + kDim * (kDim + 1) / 2));
}

TEST(Moments, DeserializeRefusesOtherBytes) {
  const std::string good = AddInBatches(Features(5, 4, 8), 4, 5).Serialize();
  auto expect_refused = [](const std::string& bytes, const std::string& reason) {
    try {
      Moments::Deserialize(bytes);
      ADD_FAILURE() << "accepted: " << reason;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
  };
  expect_refused("", "not serialised PCA moments");
  expect_refused("FRUITSMX" + good.substr(8), "not serialised PCA moments");
  std::string version_2 = good;
  version_2[8] = 2;
  expect_refused(version_2, "version 2");
  expect_refused(good.substr(0, good.size() - 1), "truncated or corrupt");
  expect_refused(good + "x", "truncated or corrupt");
  std::string dim_0 = good;
  dim_0[16] = 0;
  expect_refused(dim_0, "impossible header");
  std::string huge_dim = good;
  huge_dim[23] = 0x10;
  expect_refused(huge_dim, "impossible header");
  EXPECT_NO_THROW(Moments::Deserialize(good));
}

TEST(Moments, FirstNonFiniteRowFindsNaNAndInfinities) {
  constexpr int64_t kDim = 37;
  std::vector<float> rows = Features(20, kDim, 9);
  rows[5 * kDim] = std::numeric_limits<float>::max();
  rows[6 * kDim + 1] = std::numeric_limits<float>::denorm_min();
  rows[7 * kDim + 2] = -0.0f;
  EXPECT_EQ(FirstNonFiniteRow(rows.data(), 20, kDim), -1);
  rows[17 * kDim + 36] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(FirstNonFiniteRow(rows.data(), 20, kDim), 17);
  rows[11 * kDim + 3] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(FirstNonFiniteRow(rows.data(), 20, kDim), 11);
  rows[0] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(FirstNonFiniteRow(rows.data(), 20, kDim), 0);
  EXPECT_EQ(FirstNonFiniteRow(rows.data(), 0, kDim), -1);
}

// The preconditions guard memory (the scatter is dim x dim, Merge indexes both by dim), so they
// hold in Release builds too.
TEST(Moments, BrokenPreconditionsThrowInEveryBuild) {
  EXPECT_THROW(Moments(0), InternalError);
  Moments three(3), four(4);
  EXPECT_THROW(three.Merge(four), InternalError);
  const float row[3] = {1, 2, 3};
  three.Add(row, 1);
  EXPECT_THROW(three.Covariance(), InternalError);
  three.Add(row, 1);
  EXPECT_NO_THROW(three.Covariance());
}

}  // namespace
}  // namespace fruits::pca
