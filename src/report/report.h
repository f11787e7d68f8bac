// `fruits report`: a run's report page, written next to its outputs (OUT/report.html) or where
// asked, on a local disk or S3 (report_data.h says what it holds, report_page.h how it is built).
#pragma once

#include <cstdint>
#include <string>

#include "report/report_data.h"
#include "storage/object_store.h"

namespace fruits::report {

struct ReportResult {
  std::string output;  // where the page was written
  int64_t bytes = 0;
  double seconds = 0;  // to collect the data and write the page
};

// Throws what CollectReportData throws, and Error when the page cannot be written.
ReportResult WriteReport(storage::ObjectStore& store, const ReportOptions& options);

}  // namespace fruits::report
