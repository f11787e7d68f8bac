// The report page: one self-contained HTML file. The template (src/report/page/report.html, built
// into the binary) holds the page's markup, its one style sheet and its one script, which draws
// every chart from the report data embedded in the page as JSON.
//
// The page is locked down by a Content-Security-Policy in a <meta> tag: nothing may load from
// anywhere (default-src 'none'), only the template's own script and style run (allowed by their
// SHA-256, not by 'unsafe-inline'), images only from data: URLs. So the file makes no request,
// reads the same offline or as an e-mail attachment, and text from the run (paths, labels) can
// never run as code.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace fruits::report {

// The template as built into the binary.
std::string_view ReportTemplate();

// The policy that allows exactly the inline <script> and <style> of `page_template`. Throws
// InternalError when the template lacks either.
std::string ReportSecurityPolicy(std::string_view page_template);

// The template filled: the policy, `title` (HTML-escaped) and `data` (as JSON in a
// <script type="application/json">, with every '<' escaped so no text can close the element).
std::string RenderReportPage(const nlohmann::ordered_json& data, std::string_view title);

}  // namespace fruits::report
