// The flags that shape a run's report, shared by `fruits report` and `fruits run` (which writes
// OUT/report.html at its end): the cost section's price and instances, the scatter's seed.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "report/report_data.h"

namespace fruits::cli {

struct ReportFlags {
  std::optional<double> price_per_hour;
  report::ReportOptions options;
};

void AddReportFlags(CLI::App& cmd, ReportFlags& flags);

// Copies the parsed flags into flags.options and checks them (UsageError naming the flag), so
// that `fruits run` refuses a bad price before it starts, not after an hour of extraction.
void CheckReportFlags(ReportFlags& flags);

}  // namespace fruits::cli
