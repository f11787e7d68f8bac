// Reading a report page (fruits report) in tests: the report data it embeds, and the page as
// Debian's chromium shows it (tests/references/report_page.mjs).
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/read_file.h"
#include "support/reference_readers.h"
#include "support/run_command.h"

namespace fruits::testing {

// The JSON of <script type="application/json" id="report-data"> (nlohmann reads its \u003c
// escapes back). Fails the test and returns null when the page has none.
inline nlohmann::json EmbeddedReportData(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const size_t begin = html.find(open);
  const size_t end = begin == std::string::npos ? begin : html.find("</script>", begin);
  EXPECT_NE(end, std::string::npos) << "no report data in the page";
  if (end == std::string::npos) return nullptr;
  return nlohmann::json::parse(html.substr(begin + open.size(), end - begin - open.size()));
}

// The page in chromium: what report_page.mjs prints (its header lists the fields). Screenshots
// go to `screenshot` and, when given, `phone_screenshot`.
inline nlohmann::json ShowReport(const std::string& page, const std::string& screenshot,
                                 const std::string& phone_screenshot = "") {
  std::string arguments = ShellQuote(page) + " " + ShellQuote(screenshot);
  if (!phone_screenshot.empty()) arguments += " " + ShellQuote(phone_screenshot);
  return RunReferenceReader("report_page.mjs", arguments);
}

}  // namespace fruits::testing
