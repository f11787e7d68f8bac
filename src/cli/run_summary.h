// `fruits inspect OUT`: a run's summary, read from OUT/manifest.json.
#pragma once

#include <string>

namespace fruits::cli {

// Throws UsageError when the folder holds no manifest.
void PrintRunSummary(const std::string& folder);

}  // namespace fruits::cli
