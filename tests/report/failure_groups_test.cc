// SummarizeFailures: a run's errors parts counted by (stage, reason), largest first, each group
// with its first paths in catalog order (part order, then row order).

#include "report/failure_groups.h"

#include <gtest/gtest.h>

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

struct Failure {
  std::string path;
  std::string stage;
  std::string reason;
};

class SummarizeFailuresTest : public ::testing::Test {
 protected:
  // OUT/errors/part-0000N.parquet with one row per failure.
  void WriteErrorsPart(int part, const std::vector<Failure>& failures) {
    std::vector<std::string> paths, stages, reasons;
    for (const Failure& failure : failures) {
      paths.push_back(failure.path);
      stages.push_back(failure.stage);
      reasons.push_back(failure.reason);
    }
    parquet::ParquetWriter writer(store_.NewWritableFile(PartUri(part)), pipeline::ErrorsSchema(),
                                  {});
    const parquet::ColumnValues columns[] = {parquet::ColumnValues::Strings(paths),
                                             parquet::ColumnValues::Strings(stages),
                                             parquet::ColumnValues::Strings(reasons)};
    writer.Write(columns);
    writer.Close();
  }

  std::string PartUri(int part) const {
    std::string uri = folder_;
    uri.append("/part-0000").append(std::to_string(part)).append(".parquet");
    return uri;
  }

  TempDir dir_;
  storage::LocalStore store_;
  std::string folder_ = dir_.File("errors");
};

TEST_F(SummarizeFailuresTest, CountsEachStageAndReasonLargestFirst) {
  WriteErrorsPart(0, {{"t1.jpg", "decode", "truncated"},
                      {"m1.jpg", "read", "missing"},
                      {"t2.jpg", "decode", "truncated"},
                      {"b1.jpg", "decode", "bad"},
                      {"t3.jpg", "decode", "truncated"}});
  WriteErrorsPart(1, {{"t4.jpg", "decode", "truncated"},
                      {"m2.jpg", "read", "missing"},
                      {"t5.jpg", "decode", "truncated"},
                      {"t6.jpg", "decode", "truncated"},
                      {"b2.jpg", "decode", "bad"},
                      {"t7.jpg", "decode", "truncated"},
                      // the same reason at another stage is another group
                      {"x1.jpg", "preprocess", "truncated"}});
  const FailureSummary summary = SummarizeFailures(store_, folder_);
  EXPECT_EQ(summary.failures, 12);
  EXPECT_EQ(summary.groups_left_out, 0);
  EXPECT_EQ(summary.failures_left_out, 0);
  EXPECT_FALSE(summary.reasons_untracked);
  ASSERT_EQ(summary.groups.size(), 4u);
  EXPECT_EQ(summary.groups[0].stage, "decode");
  EXPECT_EQ(summary.groups[0].reason, "truncated");
  EXPECT_EQ(summary.groups[0].count, 7);
  // The first kPathsPerGroup (5), across the part boundary, in part then row order.
  EXPECT_EQ(summary.groups[0].paths,
            std::vector<std::string>({"t1.jpg", "t2.jpg", "t3.jpg", "t4.jpg", "t5.jpg"}));
  // Equal counts: in (stage, reason) order.
  EXPECT_EQ(summary.groups[1].stage, "decode");
  EXPECT_EQ(summary.groups[1].reason, "bad");
  EXPECT_EQ(summary.groups[1].count, 2);
  EXPECT_EQ(summary.groups[1].paths, std::vector<std::string>({"b1.jpg", "b2.jpg"}));
  EXPECT_EQ(summary.groups[2].stage, "read");
  EXPECT_EQ(summary.groups[2].reason, "missing");
  EXPECT_EQ(summary.groups[2].count, 2);
  EXPECT_EQ(summary.groups[2].paths, std::vector<std::string>({"m1.jpg", "m2.jpg"}));
  EXPECT_EQ(summary.groups[3].stage, "preprocess");
  EXPECT_EQ(summary.groups[3].reason, "truncated");
  EXPECT_EQ(summary.groups[3].count, 1);
  EXPECT_EQ(summary.groups[3].paths, std::vector<std::string>({"x1.jpg"}));
}

// kListedGroups + 3 distinct reasons, the first one twice: the largest and then the first in
// reason order are listed, the 3 others counted as left out; every failure is still counted.
TEST_F(SummarizeFailuresTest, ListsAtMostKListedGroups) {
  std::vector<Failure> failures;
  for (int i = 0; i < kListedGroups + 3; ++i) {
    std::string reason = i < 10 ? "reason 0" : "reason ";
    reason.append(std::to_string(i));
    std::string path = reason;
    failures.push_back({path.append(".jpg"), "decode", reason});
  }
  failures.push_back({"again.jpg", "decode", "reason 52"});
  WriteErrorsPart(0, failures);
  const FailureSummary summary = SummarizeFailures(store_, folder_);
  EXPECT_EQ(summary.failures, kListedGroups + 4);
  ASSERT_EQ(summary.groups.size(), static_cast<size_t>(kListedGroups));
  EXPECT_EQ(summary.groups_left_out, 3);
  EXPECT_EQ(summary.failures_left_out, 3);
  EXPECT_FALSE(summary.reasons_untracked);
  EXPECT_EQ(summary.groups[0].reason, "reason 52");
  EXPECT_EQ(summary.groups[0].count, 2);
  EXPECT_EQ(summary.groups[0].paths, std::vector<std::string>({"reason 52.jpg", "again.jpg"}));
  EXPECT_EQ(summary.groups[1].reason, "reason 00");
  EXPECT_EQ(summary.groups[1].count, 1);
  EXPECT_EQ(summary.groups[kListedGroups - 1].reason, "reason 48");
}

// More distinct reasons than are tracked: the failures of reasons first seen after the limit
// are counted as left out (every failure still counted), their reasons flagged, not counted.
TEST_F(SummarizeFailuresTest, ReasonsPastTheTrackingLimitAreCountedAsFailuresLeftOut) {
  std::vector<Failure> failures;
  for (int i = 0; i < kTrackedGroups + 2; ++i) {
    std::string reason = "reason ";
    reason.append(std::to_string(i));
    failures.push_back({"x.jpg", "decode", reason});
  }
  failures.push_back({"y.jpg", "decode", "reason 10001"});  // untracked, seen twice
  WriteErrorsPart(0, failures);
  const FailureSummary summary = SummarizeFailures(store_, folder_);
  EXPECT_EQ(summary.failures, kTrackedGroups + 3);
  ASSERT_EQ(summary.groups.size(), static_cast<size_t>(kListedGroups));
  EXPECT_TRUE(summary.reasons_untracked);
  EXPECT_EQ(summary.groups_left_out, kTrackedGroups - kListedGroups);
  EXPECT_EQ(summary.failures_left_out, kTrackedGroups + 3 - kListedGroups);
}

TEST_F(SummarizeFailuresTest, AMissingFolderHasNoFailures) {
  const FailureSummary summary = SummarizeFailures(store_, dir_.File("no-errors"));
  EXPECT_EQ(summary.failures, 0);
  EXPECT_TRUE(summary.groups.empty());
  EXPECT_EQ(summary.groups_left_out, 0);
}

TEST_F(SummarizeFailuresTest, AnEmptyErrorsPartHasNoFailures) {
  WriteErrorsPart(0, {});
  const FailureSummary summary = SummarizeFailures(store_, folder_);
  EXPECT_EQ(summary.failures, 0);
  EXPECT_TRUE(summary.groups.empty());
}

TEST_F(SummarizeFailuresTest, APartThatIsNotAnErrorsPartIsRefused) {
  WriteErrorsPart(0, {{"a.jpg", "decode", "bad"}});
  const std::vector<std::string> paths = {"b.jpg"}, labels = {"B"};
  const std::vector<float> features = {1, 2};
  parquet::ParquetWriter writer(store_.NewWritableFile(PartUri(1)), pipeline::FeaturesSchema(), {});
  const parquet::ColumnValues columns[] = {parquet::ColumnValues::Strings(paths),
                                           parquet::ColumnValues::Strings(labels),
                                           parquet::ColumnValues::FloatRows(features, 2)};
  writer.Write(columns);
  writer.Close();
  EXPECT_EQ(MessageOf([&] { SummarizeFailures(store_, folder_); }),
            Quoted(PartUri(1)) + " is not an errors part (path, stage, reason)");
}

}  // namespace
}  // namespace fruits::report
