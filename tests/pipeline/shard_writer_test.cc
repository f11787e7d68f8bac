// ShardWriter publishes a shard's two parts together, or nothing; FindCompletedShard trusts only
// parts written for the same inputs.

#include "pipeline/shard_writer.h"

#include <gtest/gtest.h>

#include "parquet/reader.h"
#include "storage/local_store.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::pipeline {
namespace {

using testing::TempDir;

void WriteShard(storage::ObjectStore& store, const OutputLayout& layout, const Shard& shard,
                const std::string& digest) {
  ShardWriter writer(store, layout, shard, digest, 2, {{"fruits.model", "m.onnx"}});
  writer.AddRows({"a.jpg", "b.jpg"}, {"A", "B"}, std::vector<float>{1, 2, 3, 4});
  writer.AddError({"c.jpg", "decode", "truncated"});
  ShardCounts counts = writer.Commit();
  EXPECT_EQ(counts.ok, 2);
  EXPECT_EQ(counts.failed, 1);
}

TEST(ShardWriter, CommitPublishesFeaturesAndErrorsWithShardFacts) {
  TempDir dir;
  storage::LocalStore store;
  OutputLayout layout(dir.File("out") + "/");
  WriteShard(store, layout, {7, 0, 3}, "d1");
  EXPECT_EQ(layout.FeaturesPart(7), dir.File("out") + "/features/part-00007.parquet");
  parquet::ParquetReader features(store.NewRandomAccessFile(layout.FeaturesPart(7)));
  EXPECT_EQ(features.num_rows(), 2);
  EXPECT_EQ(features.FindMetadata("fruits.model"), "m.onnx");
  EXPECT_EQ(features.FindMetadata("fruits.shard.id"), "7");
  EXPECT_EQ(features.FindMetadata("fruits.shard.errors"), "1");
  auto rows = features.ReadRowGroup(0);
  EXPECT_EQ(rows[0].strings[1], "b.jpg");
  EXPECT_EQ(rows[1].strings[0], "A");
  parquet::ParquetReader errors(store.NewRandomAccessFile(layout.ErrorsPart(7)));
  ASSERT_EQ(errors.num_rows(), 1);
  auto error_rows = errors.ReadRowGroup(0);
  EXPECT_EQ(error_rows[0].strings[0], "c.jpg");
  EXPECT_EQ(error_rows[1].strings[0], "decode");
  EXPECT_EQ(error_rows[2].strings[0], "truncated");
}

TEST(ShardWriter, AnUncommittedShardLeavesNothing) {
  TempDir dir;
  storage::LocalStore store;
  OutputLayout layout(dir.File("out"));
  {
    ShardWriter writer(store, layout, {0, 0, 3}, "d", 2, {});
    writer.AddRows({"a.jpg"}, {"A"}, std::vector<float>{1, 2});
  }
  EXPECT_FALSE(store.Exists(layout.FeaturesPart(0)));
  EXPECT_FALSE(store.Exists(layout.ErrorsPart(0)));
  EXPECT_TRUE(store.List(layout.FeaturesFolder()).empty());
}

// Rows whose width is not the writer's feature dim are the caller's bug: refused, in every build,
// rather than written as rows of another width.
TEST(ShardWriter, RowsOfAnotherWidthAreRefused) {
  TempDir dir;
  storage::LocalStore store;
  OutputLayout layout(dir.File("out"));
  ShardWriter writer(store, layout, {0, 0, 3}, "d", 2, {});
  EXPECT_THROW(writer.AddRows({"a.jpg"}, {"A"}, std::vector<float>{1, 2, 3, 4}), Error);
  EXPECT_THROW(writer.AddRows({"a.jpg", "b.jpg"}, {"A", "B"}, std::vector<float>{1, 2, 3}), Error);
  EXPECT_THROW(writer.AddRows({"a.jpg", "b.jpg"}, {"A"}, std::vector<float>{1, 2, 3, 4}), Error);
  writer.AddRows({"a.jpg"}, {"A"}, std::vector<float>{1, 2});
}

TEST(ShardWriter, OnlyAShardCompletedForTheSameInputsIsFound) {
  TempDir dir;
  storage::LocalStore store;
  OutputLayout layout(dir.File("out"));
  const Shard shard{0, 0, 3};
  EXPECT_EQ(FindCompletedShard(store, layout, shard, "d"), std::nullopt);
  WriteShard(store, layout, shard, "d");
  auto found = FindCompletedShard(store, layout, shard, "d");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->ok, 2);
  EXPECT_EQ(found->failed, 1);
  EXPECT_EQ(FindCompletedShard(store, layout, shard, "other inputs"), std::nullopt);
  EXPECT_EQ(FindCompletedShard(store, layout, {0, 0, 4}, "d"), std::nullopt);
  store.Remove(layout.ErrorsPart(0));
  EXPECT_EQ(FindCompletedShard(store, layout, shard, "d"), std::nullopt);
}

}  // namespace
}  // namespace fruits::pipeline
