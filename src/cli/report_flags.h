// The flags that shape a run's report, shared by `fruits report` and `fruits run` (which writes
// OUT/report.html at its end): the cost section's price and instances, the scatter's seed.
#pragma once

#include <CLI/CLI.hpp>

#include "report/report_data.h"

namespace fruits::cli {

void AddReportFlags(CLI::App& cmd, report::ReportOptions& options);

}  // namespace fruits::cli
