// A run's failed inputs grouped by what went wrong: how many images failed for each (stage,
// reason), with the first paths of each, read from the errors parts of one image set.
//
// Memory stays bounded whatever the number of failures: at most kTrackedGroups distinct reasons
// are counted (failures of reasons first seen after that count as left out, and their reasons
// are not counted), and each group keeps its first kPathsPerGroup paths (in part order, then
// row order: catalog order).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace fruits::report {

struct FailureGroup {
  std::string stage;
  std::string reason;
  int64_t count = 0;
  std::vector<std::string> paths;  // the first kPathsPerGroup
};

struct FailureSummary {
  int64_t failures = 0;              // rows of the errors parts
  std::vector<FailureGroup> groups;  // the kListedGroups largest, largest first
  int64_t failures_left_out = 0;     // failures not in `groups`
  int64_t groups_left_out = 0;       // distinct counted reasons not in `groups`
  bool reasons_untracked = false;    // more reasons than kTrackedGroups: some were not counted
};

inline constexpr int kPathsPerGroup = 5;
inline constexpr int kListedGroups = 50;
inline constexpr int kTrackedGroups = 10'000;

// Every errors part (part-*.parquet) under `folder`; a folder that does not exist gives no
// failures. Throws Error when a part cannot be read or is not an errors part.
FailureSummary SummarizeFailures(storage::ObjectStore& store, const std::string& folder);

}  // namespace fruits::report
