#include "report/failure_groups.h"

#include <algorithm>
#include <map>
#include <utility>

#include "parquet/reader.h"
#include "pipeline/features_part.h"
#include "pipeline/for_each_part.h"

namespace fruits::report {

namespace {

using GroupKey = std::pair<std::string, std::string>;  // stage, reason

void CountPart(storage::ObjectStore& store, const std::string& part,
               std::map<GroupKey, FailureGroup>& groups, FailureSummary& summary) {
  const parquet::ParquetReader reader = pipeline::OpenTablePart(
      store, part, pipeline::ErrorsSchema(), "an errors part (path, stage, reason)");
  std::vector<parquet::ColumnData> columns;
  for (int group = 0; group < reader.num_row_groups(); ++group) {
    reader.ReadRowGroup(group, &columns);
    const std::vector<std::string>& paths = columns[0].strings;
    const std::vector<std::string>& stages = columns[1].strings;
    const std::vector<std::string>& reasons = columns[2].strings;
    for (size_t row = 0; row < paths.size(); ++row) {
      ++summary.failures;
      GroupKey key(stages[row], reasons[row]);
      auto found = groups.find(key);
      if (found == groups.end()) {
        if (groups.size() >= static_cast<size_t>(kTrackedGroups)) {
          summary.reasons_untracked = true;
          continue;
        }
        found = groups.emplace(key, FailureGroup{key.first, key.second, 0, {}}).first;
      }
      FailureGroup& failure = found->second;
      ++failure.count;
      if (failure.paths.size() < static_cast<size_t>(kPathsPerGroup)) {
        failure.paths.push_back(paths[row]);
      }
    }
  }
}

}  // namespace

FailureSummary SummarizeFailures(storage::ObjectStore& store, const std::string& folder) {
  FailureSummary summary;
  std::map<GroupKey, FailureGroup> groups;
  for (const std::string& part : pipeline::PartsIn(store, folder)) {
    CountPart(store, part, groups, summary);
  }
  for (auto& [key, group] : groups) summary.groups.push_back(std::move(group));
  // Largest first; equal counts in (stage, reason) order, so the page does not depend on
  // anything but the failures.
  std::stable_sort(summary.groups.begin(), summary.groups.end(),
                   [](const FailureGroup& a, const FailureGroup& b) { return a.count > b.count; });
  if (summary.groups.size() > static_cast<size_t>(kListedGroups)) {
    summary.groups_left_out = static_cast<int64_t>(summary.groups.size()) - kListedGroups;
    summary.groups.resize(kListedGroups);
  }
  summary.failures_left_out = summary.failures;
  for (const FailureGroup& group : summary.groups) summary.failures_left_out -= group.count;
  return summary;
}

}  // namespace fruits::report
