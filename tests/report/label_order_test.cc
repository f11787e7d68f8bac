// ConfusionOrder: the heatmap's label order is a permutation in which labels confused with each
// other sit side by side, and labels confused with nothing keep their relative order.

#include "report/label_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace fruits::report {
namespace {

using Matrix = std::vector<std::vector<int64_t>>;

// n labels, each with `correct` test images predicted right and no confusion.
Matrix Diagonal(int n, int64_t correct) {
  Matrix confusion(n, std::vector<int64_t>(n, 0));
  for (int i = 0; i < n; ++i) confusion[i][i] = correct;
  return confusion;
}

bool IsPermutation(std::vector<int> order, int n) {
  std::vector<int> expected(n);
  std::iota(expected.begin(), expected.end(), 0);
  std::sort(order.begin(), order.end());
  return order == expected;
}

// Whether labels a and b are neighbours in `order`.
bool Adjacent(const std::vector<int>& order, int a, int b) {
  const auto at_a = std::find(order.begin(), order.end(), a);
  const auto at_b = std::find(order.begin(), order.end(), b);
  return std::abs(at_a - at_b) == 1;
}

TEST(ConfusionOrder, EmptyMatrixGivesEmptyOrder) { EXPECT_TRUE(ConfusionOrder({}).empty()); }

TEST(ConfusionOrder, OneLabel) { EXPECT_EQ(ConfusionOrder({{7}}), std::vector<int>({0})); }

TEST(ConfusionOrder, DiagonalMatrixKeepsLabelOrder) {
  EXPECT_EQ(ConfusionOrder(Diagonal(5, 10)), std::vector<int>({0, 1, 2, 3, 4}));
}

// Rows without any test image (all zeros) are confused with nothing.
TEST(ConfusionOrder, AllZeroMatrixKeepsLabelOrder) {
  EXPECT_EQ(ConfusionOrder(Diagonal(4, 0)), std::vector<int>({0, 1, 2, 3}));
}

// 0 <-> 4 and 2 <-> 5 confused: each pair becomes a run placed at its smaller label, the
// labels confused with nothing (1, 3) stay between them in label order.
TEST(ConfusionOrder, ConfusedPairsBecomeNeighbours) {
  Matrix confusion = Diagonal(6, 10);
  confusion[0][4] = 3;
  confusion[4][0] = 2;
  confusion[2][5] = 4;
  confusion[5][2] = 1;
  const std::vector<int> order = ConfusionOrder(confusion);
  EXPECT_EQ(order, std::vector<int>({0, 4, 1, 2, 5, 3}));
  EXPECT_TRUE(Adjacent(order, 0, 4));
  EXPECT_TRUE(Adjacent(order, 2, 5));
}

// Confusions in one direction only count too; a chain 1 -> 3 -> 4 (1 and 4 never confused with
// each other) is one contiguous run with 3, the link, in the middle.
TEST(ConfusionOrder, ChainFormsOneRunWithTheLinkInTheMiddle) {
  Matrix confusion = Diagonal(5, 10);
  confusion[1][3] = 5;
  confusion[3][4] = 3;
  EXPECT_EQ(ConfusionOrder(confusion), std::vector<int>({0, 1, 3, 4, 2}));
}

// A run joins the next one by its most similar end: 2 is confused with 0, the far end of the
// run (0, 1) wherever that run starts, so the run is flipped to put 0 next to 2.
TEST(ConfusionOrder, RunsAreFlippedSoTheirMostSimilarEndsMeet) {
  Matrix confusion = Diagonal(3, 10);
  confusion[0][1] = 8;  // joined first: the run (0, 1)
  confusion[0][2] = 2;  // then 2 joins at 0's end
  EXPECT_EQ(ConfusionOrder(confusion), std::vector<int>({1, 0, 2}));
}

// 131 labels (Fruits-360's count) with sparse random confusions of one image, and a few planted
// pairs confused far more than anything else: the result is a permutation, the same on every
// call, and each planted pair ends up side by side.
TEST(ConfusionOrder, ManyLabelsWithSparseConfusions) {
  constexpr int kLabels = 131;
  Matrix confusion = Diagonal(kLabels, 100);
  std::mt19937 random(18);
  std::uniform_int_distribution<int> label(0, kLabels - 1);
  for (int k = 0; k < 300; ++k) {
    const int i = label(random);
    const int j = label(random);
    if (i != j) confusion[i][j] = 1;
  }
  const std::vector<std::pair<int, int>> planted = {{3, 120}, {57, 58}, {130, 0}, {77, 12}};
  for (const auto& [i, j] : planted) {
    confusion[i][j] = 40;
    confusion[j][i] = 30;
  }
  const std::vector<int> order = ConfusionOrder(confusion);
  ASSERT_EQ(order.size(), static_cast<size_t>(kLabels));
  EXPECT_TRUE(IsPermutation(order, kLabels));
  EXPECT_EQ(ConfusionOrder(confusion), order);
  for (const auto& [i, j] : planted) EXPECT_TRUE(Adjacent(order, i, j)) << i << " and " << j;
}

TEST(ConfusionOrder, IsDeterministic) {
  Matrix confusion = Diagonal(8, 5);
  // Equal similarities everywhere they are not zero: ties decide the whole order.
  for (int i = 0; i + 1 < 8; i += 2) confusion[i][i + 1] = confusion[i + 1][i] = 1;
  confusion[1][6] = confusion[6][1] = 1;
  const std::vector<int> first = ConfusionOrder(confusion);
  EXPECT_TRUE(IsPermutation(first, 8));
  for (int run = 0; run < 3; ++run) EXPECT_EQ(ConfusionOrder(confusion), first);
}

}  // namespace
}  // namespace fruits::report
