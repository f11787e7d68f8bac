#include "app/top_labels.h"

#include <algorithm>
#include <numeric>

namespace fruits::app {

std::vector<LabelScore> TopLabels(const float* probabilities, int64_t count, int k) {
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), int64_t{0});
  const auto kept = static_cast<size_t>(std::clamp<int64_t>(k, 0, count));
  std::partial_sort(
      order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept), order.end(),
      [&](int64_t a, int64_t b) {
        return probabilities[a] != probabilities[b] ? probabilities[a] > probabilities[b] : a < b;
      });
  std::vector<LabelScore> top;
  top.reserve(kept);
  for (size_t i = 0; i < kept; ++i) top.push_back({order[i], probabilities[order[i]]});
  return top;
}

nlohmann::ordered_json TopLabelsJson(const std::vector<LabelScore>& top,
                                     const std::vector<std::string>& labels) {
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  for (const LabelScore& score : top) {
    items.push_back({{"label", labels.at(static_cast<size_t>(score.index))},
                     {"index", score.index},
                     {"probability", score.probability}});
  }
  return items;
}

}  // namespace fruits::app
