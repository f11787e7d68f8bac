#include "report/report.h"

#include <chrono>

#include "report/report_page.h"
#include "util/seconds_since.h"

namespace fruits::report {

ReportResult WriteReport(storage::ObjectStore& store, const ReportOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const nlohmann::ordered_json data = CollectReportData(store, options);
  std::string title = "fruits report: ";
  title += options.run;
  const std::string page = RenderReportPage(data, title);
  ReportResult result;
  result.output =
      options.output.empty() ? storage::JoinUri(options.run, "report.html") : options.output;
  store.Write(result.output, page);
  result.bytes = static_cast<int64_t>(page.size());
  result.seconds = SecondsSince(start);
  return result;
}

}  // namespace fruits::report
