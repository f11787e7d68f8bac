// The most probable labels of one image, and their JSON form shared by `fruits classify --json`
// and `fruits serve`: [{"label": ..., "index": ..., "probability": ...}, ...].
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fruits::app {

struct LabelScore {
  int64_t index = 0;
  float probability = 0;
};

// The min(k, count) most probable of `count` probabilities, most probable first; equal
// probabilities in index order.
std::vector<LabelScore> TopLabels(const float* probabilities, int64_t count, int k);

nlohmann::ordered_json TopLabelsJson(const std::vector<LabelScore>& top,
                                     const std::vector<std::string>& labels);

}  // namespace fruits::app
