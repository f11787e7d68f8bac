#include "report/label_order.h"

#include <algorithm>

namespace fruits::report {

namespace {

// similarity[i][j] as label_order.h defines it; 0 on the diagonal.
std::vector<std::vector<double>> ConfusionSimilarity(
    const std::vector<std::vector<int64_t>>& confusion) {
  const size_t n = confusion.size();
  std::vector<double> row_totals(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (int64_t count : confusion[i]) row_totals[i] += static_cast<double>(count);
  }
  auto share = [&](size_t i, size_t j) {
    return row_totals[i] > 0 ? static_cast<double>(confusion[i][j]) / row_totals[i] : 0.0;
  };
  std::vector<std::vector<double>> similarity(n, std::vector<double>(n, 0));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      if (i != j) similarity[i][j] = share(i, j) + share(j, i);
    }
  }
  return similarity;
}

// Joins `right` after `left`, each possibly reversed, so that the two labels meeting in the
// middle are the most similar of the four ways.
std::vector<int> JoinRuns(std::vector<int> left, std::vector<int> right,
                          const std::vector<std::vector<double>>& similarity) {
  const double options[4] = {
      similarity[left.back()][right.front()],   // left, right
      similarity[left.back()][right.back()],    // left, reversed right
      similarity[left.front()][right.front()],  // reversed left, right
      similarity[left.front()][right.back()],   // reversed left, reversed right
  };
  const int best = static_cast<int>(std::max_element(options, options + 4) - options);
  if (best >= 2) std::reverse(left.begin(), left.end());
  if (best % 2 == 1) std::reverse(right.begin(), right.end());
  left.insert(left.end(), right.begin(), right.end());
  return left;
}

}  // namespace

std::vector<int> ConfusionOrder(const std::vector<std::vector<int64_t>>& confusion) {
  const int n = static_cast<int>(confusion.size());
  const std::vector<std::vector<double>> similarity = ConfusionSimilarity(confusion);
  // linkage[a][b]: the average similarity between clusters a and b (clusters are named by
  // their first label's index; alive[a] until merged into another).
  std::vector<std::vector<double>> linkage = similarity;
  std::vector<std::vector<int>> runs(n);
  std::vector<bool> alive(n, true);
  for (int i = 0; i < n; ++i) runs[i] = {i};
  while (true) {
    int best_a = -1;
    int best_b = -1;
    double best = 0;
    for (int a = 0; a < n; ++a) {
      if (!alive[a]) continue;
      for (int b = a + 1; b < n; ++b) {
        if (alive[b] && linkage[a][b] > best) {
          best = linkage[a][b];
          best_a = a;
          best_b = b;
        }
      }
    }
    if (best_a < 0) break;
    const double size_a = static_cast<double>(runs[best_a].size());
    const double size_b = static_cast<double>(runs[best_b].size());
    for (int c = 0; c < n; ++c) {
      if (!alive[c] || c == best_a || c == best_b) continue;
      const double joined =
          (size_a * linkage[best_a][c] + size_b * linkage[best_b][c]) / (size_a + size_b);
      linkage[best_a][c] = linkage[c][best_a] = joined;
    }
    runs[best_a] = JoinRuns(std::move(runs[best_a]), std::move(runs[best_b]), similarity);
    alive[best_b] = false;
  }
  // Cluster a's smallest label is a itself: it only ever absorbed clusters of larger indices.
  std::vector<int> order;
  order.reserve(n);
  for (int a = 0; a < n; ++a) {
    if (alive[a]) order.insert(order.end(), runs[a].begin(), runs[a].end());
  }
  return order;
}

}  // namespace fruits::report
