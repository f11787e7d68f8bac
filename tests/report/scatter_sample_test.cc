// ScatterSample keeps a bounded sample decided by (seed, path) alone; SamplePcaParts feeds it the
// first two components of every row of a run's PCA parts, and refuses parts it cannot use.

#include "report/scatter_sample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "parquet/writer.h"
#include "pipeline/features_part.h"
#include "storage/local_store.h"
#include "support/temp_dir.h"
#include "support/text_assertions.h"
#include "util/error.h"

namespace fruits::report {
namespace {

using testing::Contains;
using testing::MessageOf;
using testing::Quoted;
using testing::TempDir;

std::vector<std::string> Paths(int n) {
  std::vector<std::string> paths;
  for (int i = 0; i < n; ++i) {
    std::string path = "Training/Apple/";
    paths.push_back(path.append(std::to_string(i)).append(".jpg"));
  }
  return paths;
}

// The sample of `paths` offered in that order; each row's pc1 is its index in `paths`.
ScatterSample SampleOf(const std::vector<std::string>& paths, size_t capacity, uint64_t seed) {
  ScatterSample sample(capacity, seed);
  for (size_t i = 0; i < paths.size(); ++i) sample.Add(i, -1.0 * i, "Apple", paths[i]);
  return sample;
}

std::vector<std::string> KeptPaths(const ScatterSample& sample) {
  std::vector<std::string> paths;
  for (const ScatterPoint& point : sample.Points()) paths.push_back(point.path);
  return paths;
}

TEST(ScatterSample, KeepsAtMostCapacityAndCountsEveryRow) {
  const ScatterSample sample = SampleOf(Paths(100), 10, 1);
  EXPECT_EQ(sample.rows(), 100);
  const std::vector<ScatterPoint> points = sample.Points();
  ASSERT_EQ(points.size(), 10u);
  EXPECT_TRUE(std::is_sorted(points.begin(), points.end(),
                             [](const auto& a, const auto& b) { return a.key < b.key; }));
}

// The kept rows are those with the smallest keys: the first `capacity` points of a sample that
// kept everything.
TEST(ScatterSample, KeepsTheRowsWithTheSmallestKeys) {
  const std::vector<std::string> paths = Paths(100);
  const std::vector<ScatterPoint> all = SampleOf(paths, 1000, 1).Points();
  ASSERT_EQ(all.size(), 100u);
  std::vector<std::string> smallest;
  for (int i = 0; i < 10; ++i) smallest.push_back(all[i].path);
  EXPECT_EQ(KeptPaths(SampleOf(paths, 10, 1)), smallest);
}

TEST(ScatterSample, CapacityAtLeastRowsKeepsEveryRowWithItsValues) {
  ScatterSample sample(10, 3);
  sample.Add(1.5, -2.5, "Apple", "a.jpg");
  sample.Add(3, 4, "Banana", "b.jpg");
  EXPECT_EQ(sample.rows(), 2);
  std::map<std::string, ScatterPoint> by_path;
  for (const ScatterPoint& point : sample.Points()) by_path[point.path] = point;
  ASSERT_EQ(by_path.size(), 2u);
  EXPECT_EQ(by_path["a.jpg"].pc1, 1.5);
  EXPECT_EQ(by_path["a.jpg"].pc2, -2.5);
  EXPECT_EQ(by_path["a.jpg"].label, "Apple");
  EXPECT_EQ(by_path["b.jpg"].pc1, 3);
  EXPECT_EQ(by_path["b.jpg"].pc2, 4);
  EXPECT_EQ(by_path["b.jpg"].label, "Banana");
}

TEST(ScatterSample, ZeroCapacityCountsRowsAndKeepsNone) {
  const ScatterSample sample = SampleOf(Paths(5), 0, 1);
  EXPECT_EQ(sample.rows(), 5);
  EXPECT_TRUE(sample.Points().empty());
}

// Parts read in another order, or rows written by other processes, give the same sample.
TEST(ScatterSample, SameSampleWhateverTheInsertionOrder) {
  std::vector<std::string> paths = Paths(500);
  const std::vector<std::string> kept = KeptPaths(SampleOf(paths, 20, 7));
  std::mt19937 random(42);
  for (int shuffle = 0; shuffle < 5; ++shuffle) {
    std::shuffle(paths.begin(), paths.end(), random);
    EXPECT_EQ(KeptPaths(SampleOf(paths, 20, 7)), kept);
  }
}

TEST(ScatterSample, AnotherSeedGivesAnotherSample) {
  const std::vector<std::string> paths = Paths(500);
  const std::vector<std::string> seed_7 = KeptPaths(SampleOf(paths, 20, 7));
  const std::vector<std::string> seed_8 = KeptPaths(SampleOf(paths, 20, 8));
  ASSERT_EQ(seed_8.size(), 20u);
  EXPECT_NE(std::set<std::string>(seed_7.begin(), seed_7.end()),
            std::set<std::string>(seed_8.begin(), seed_8.end()));
}

// Writes a part of `schema` (path, label, a float list column) with one row per entry of `rows`.
void WritePart(storage::ObjectStore& store, const std::string& uri, const parquet::Schema& schema,
               const std::vector<std::pair<std::string, std::vector<float>>>& rows) {
  std::vector<std::string> paths, labels;
  std::vector<float> values;
  std::vector<int64_t> offsets = {0};
  for (const auto& [path, components] : rows) {
    paths.push_back(path);
    labels.push_back("Label of " + path);
    values.insert(values.end(), components.begin(), components.end());
    offsets.push_back(static_cast<int64_t>(values.size()));
  }
  parquet::ParquetWriter writer(store.NewWritableFile(uri), schema, {});
  const parquet::ColumnValues columns[] = {parquet::ColumnValues::Strings(paths),
                                           parquet::ColumnValues::Strings(labels),
                                           parquet::ColumnValues::FloatLists(values, offsets)};
  writer.Write(columns);
  writer.Close();
}

class SamplePcaPartsTest : public ::testing::Test {
 protected:
  TempDir dir_;
  storage::LocalStore store_;
  std::string folder_ = dir_.File("pca");
};

TEST_F(SamplePcaPartsTest, ReadsTheFirstTwoComponentsOfEveryRowOfEveryPart) {
  WritePart(store_, folder_ + "/part-00000.parquet", pipeline::PcaSchema(),
            {{"a.jpg", {1.5f, -2, 9}}, {"b.jpg", {0.25f, 4, 9}}});
  WritePart(store_, folder_ + "/part-00001.parquet", pipeline::PcaSchema(),
            {{"c.jpg", {-8, 0.5f, 9}}});
  const ScatterSample sample = SamplePcaParts(store_, folder_, 100, 1);
  EXPECT_EQ(sample.rows(), 3);
  std::map<std::string, ScatterPoint> by_path;
  for (const ScatterPoint& point : sample.Points()) by_path[point.path] = point;
  ASSERT_EQ(by_path.size(), 3u);
  EXPECT_EQ(by_path["a.jpg"].pc1, 1.5);
  EXPECT_EQ(by_path["a.jpg"].pc2, -2);
  EXPECT_EQ(by_path["a.jpg"].label, "Label of a.jpg");
  EXPECT_EQ(by_path["b.jpg"].pc1, 0.25);
  EXPECT_EQ(by_path["b.jpg"].pc2, 4);
  EXPECT_EQ(by_path["c.jpg"].pc1, -8);
  EXPECT_EQ(by_path["c.jpg"].pc2, 0.5);
  EXPECT_EQ(by_path["c.jpg"].label, "Label of c.jpg");
}

TEST_F(SamplePcaPartsTest, AppliesTheCapacityAcrossParts) {
  WritePart(store_, folder_ + "/part-00000.parquet", pipeline::PcaSchema(),
            {{"a.jpg", {1, 2}}, {"b.jpg", {3, 4}}});
  WritePart(store_, folder_ + "/part-00001.parquet", pipeline::PcaSchema(),
            {{"c.jpg", {5, 6}}, {"d.jpg", {7, 8}}});
  const ScatterSample sample = SamplePcaParts(store_, folder_, 3, 1);
  EXPECT_EQ(sample.rows(), 4);
  EXPECT_EQ(KeptPaths(sample), KeptPaths(SampleOf({"d.jpg", "c.jpg", "b.jpg", "a.jpg"}, 3, 1)));
}

TEST_F(SamplePcaPartsTest, ARowWithOneComponentIsRefused) {
  WritePart(store_, folder_ + "/part-00000.parquet", pipeline::PcaSchema(),
            {{"a.jpg", {1, 2}}, {"b.jpg", {3}}});
  const std::string message = MessageOf([&] { SamplePcaParts(store_, folder_, 10, 1); });
  EXPECT_EQ(message, Quoted(folder_ + "/part-00000.parquet") +
                         ": the PCA row of 'b.jpg' has fewer than two components");
}

TEST_F(SamplePcaPartsTest, AFeaturesPartIsRefused) {
  WritePart(store_, folder_ + "/part-00000.parquet", pipeline::FeaturesSchema(),
            {{"a.jpg", {1, 2}}});
  const std::string message = MessageOf([&] { SamplePcaParts(store_, folder_, 10, 1); });
  EXPECT_TRUE(Contains(message, "part-00000.parquet' is not a PCA part (path, label, pca)"));
}

TEST_F(SamplePcaPartsTest, AMissingFolderGivesNoRows) {
  const ScatterSample sample = SamplePcaParts(store_, dir_.File("no-such-folder"), 10, 1);
  EXPECT_EQ(sample.rows(), 0);
  EXPECT_TRUE(sample.Points().empty());
}

}  // namespace
}  // namespace fruits::report
