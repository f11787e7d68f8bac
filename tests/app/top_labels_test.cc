#include "app/top_labels.h"

#include <gtest/gtest.h>

namespace fruits::app {
namespace {

TEST(TopLabels, MostProbableFirstAndTiesInIndexOrder) {
  const float p[] = {0.1f, 0.3f, 0.05f, 0.3f, 0.25f};
  const std::vector<LabelScore> top = TopLabels(p, 5, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].index, 1);
  EXPECT_EQ(top[1].index, 3);
  EXPECT_EQ(top[2].index, 4);
  EXPECT_FLOAT_EQ(top[2].probability, 0.25f);
}

TEST(TopLabels, KBeyondTheLabelsGivesThemAll) {
  const float p[] = {0.2f, 0.8f};
  const std::vector<LabelScore> top = TopLabels(p, 2, 5);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].index, 1);
  EXPECT_EQ(top[1].index, 0);
}

TEST(TopLabels, JsonNamesEachLabel) {
  const float p[] = {0.25f, 0.75f};
  const nlohmann::ordered_json json = TopLabelsJson(TopLabels(p, 2, 1), {"Apple", "Banana"});
  EXPECT_EQ(json.dump(), R"([{"label":"Banana","index":1,"probability":0.75}])");
}

}  // namespace
}  // namespace fruits::app
