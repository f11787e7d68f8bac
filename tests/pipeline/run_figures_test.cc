// RankFigures travel between processes as bytes: they come back whole, and bytes that are not
// a rank's figures are a fruits::Error, never another exception type.

#include "pipeline/run_figures.h"

#include <gtest/gtest.h>

#include "dist/local_comm.h"
#include "util/error.h"

namespace fruits::pipeline {
namespace {

TEST(RankFigures, ComeBackWhole) {
  const RankFigures figures{3, 7, 70, 1.5, 0.25, "node-7"};
  const RankFigures copy = RankFigures::Deserialize(figures.Serialize());
  EXPECT_EQ(copy.host, "node-7");
  EXPECT_EQ(copy.rank, 3);
  EXPECT_EQ(copy.shards, 7);
  EXPECT_EQ(copy.images, 70);
  EXPECT_EQ(copy.seconds, 1.5);
  EXPECT_EQ(copy.seconds_waiting, 0.25);
}

TEST(RankFigures, MalformedBytesAreAFruitsError) {
  const std::string whole = RankFigures{1, 2, 3, 4, 5, "h"}.Serialize();
  for (const std::string& bytes : {std::string(""), std::string("not json"),
                                   whole.substr(0, whole.size() / 2), std::string("{\"rank\": 1}"),
                                   std::string("{\"rank\": \"one\", \"shards\": 1, "
                                               "\"images\": 1, \"seconds\": 1, "
                                               "\"seconds_waiting\": 1}")}) {
    EXPECT_THROW(RankFigures::Deserialize(bytes), Error) << bytes;
  }
}

TEST(RankFigures, HostsAreCountedOnce) {
  EXPECT_EQ(CountHosts({}), 1);
  EXPECT_EQ(CountHosts({{0, 1, 1, 1, 0, "a"}, {1, 1, 1, 1, 0, "b"}, {2, 1, 1, 1, 0, "a"}}), 2);
  EXPECT_FALSE(ThisHost().empty());
}

TEST(RunFigures, OneProcessCombinesToItsOwnFigures) {
  dist::LocalComm comm;
  const CombinedFigures combined = Combine(comm, {5, 1, 6, 2, {1, 2, 3, 4}}, {0, 2, 6, 1.0, 0.5});
  EXPECT_EQ(combined.total.ok, 5);
  EXPECT_EQ(combined.total.images, 6);
  EXPECT_EQ(combined.total.stages.infer, 3);
  ASSERT_EQ(combined.ranks.size(), 1u);
  EXPECT_EQ(combined.ranks[0].shards, 2);
}

}  // namespace
}  // namespace fruits::pipeline
