// `fruits inspect OUT`: a run's summary, read from OUT/manifest.json.
#pragma once

#include <string>

#include "storage/object_store.h"

namespace fruits::cli {

// Throws UsageError when the folder holds no manifest.
void PrintRunSummary(storage::ObjectStore& store, const std::string& folder);

}  // namespace fruits::cli
