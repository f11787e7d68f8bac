#include "report/report_page.h"

#include <algorithm>
#include <vector>

#include "report/report_page_data.h"
#include "util/base64.h"
#include "util/error.h"
#include "util/sha256.h"

namespace fruits::report {

namespace {

constexpr std::string_view kPolicyMarker = "__FRUITS_CSP__";
constexpr std::string_view kTitleMarker = "__FRUITS_TITLE__";
constexpr std::string_view kDataMarker = "__FRUITS_DATA__";

// The text between `open` and the next `close`; throws InternalError when there is none.
std::string_view Between(std::string_view text, std::string_view open, std::string_view close) {
  const size_t begin = text.find(open);
  const size_t end = begin == std::string_view::npos ? begin : text.find(close, begin);
  if (end == std::string_view::npos) {
    throw InternalError("the report template has no " + std::string(open) + " element");
  }
  return text.substr(begin + open.size(), end - begin - open.size());
}

std::string HashSource(std::string_view content) {
  Sha256 hash;
  hash.Update(content);
  return "'sha256-" + Base64Encode(hash.Digest()) + "'";
}

std::string EscapeHtml(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

// JSON that may sit inside <script>: '<' only occurs inside strings, where \u003c means the same.
std::string ScriptSafeJson(const nlohmann::ordered_json& data) {
  const std::string json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string safe;
  safe.reserve(json.size());
  for (char c : json) {
    if (c == '<') {
      safe += "\\u003c";
    } else {
      safe += c;
    }
  }
  return safe;
}

struct Fill {
  size_t at;  // of the marker in the template
  std::string_view marker;
  std::string value;
};

// The template with each marker replaced by its value. Markers are found in the template, never
// in values already filled in (a path in the title may spell a marker).
std::string FillMarkers(std::string_view page_template, std::vector<Fill> fills) {
  for (Fill& fill : fills) {
    fill.at = page_template.find(fill.marker);
    if (fill.at == std::string_view::npos) {
      throw InternalError("the report template has no " + std::string(fill.marker));
    }
  }
  std::sort(fills.begin(), fills.end(), [](const Fill& a, const Fill& b) { return a.at < b.at; });
  std::string page;
  size_t copied = 0;
  for (const Fill& fill : fills) {
    page.append(page_template.substr(copied, fill.at - copied)).append(fill.value);
    copied = fill.at + fill.marker.size();
  }
  page.append(page_template.substr(copied));
  return page;
}

}  // namespace

std::string_view ReportTemplate() {
  return {reinterpret_cast<const char*>(kReportTemplateData), kReportTemplateDataSize};
}

std::string ReportSecurityPolicy(std::string_view page_template) {
  std::string policy = "default-src 'none'; script-src ";
  policy.append(HashSource(Between(page_template, "<script>", "</script>")))
      .append("; style-src ")
      .append(HashSource(Between(page_template, "<style>", "</style>")))
      .append("; img-src data:; base-uri 'none'; form-action 'none'");
  return policy;
}

std::string RenderReportPage(const nlohmann::ordered_json& data, std::string_view title) {
  const std::string_view page_template = ReportTemplate();
  return FillMarkers(page_template, {{0, kPolicyMarker, ReportSecurityPolicy(page_template)},
                                     {0, kTitleMarker, EscapeHtml(title)},
                                     {0, kDataMarker, ScriptSafeJson(data)}});
}

}  // namespace fruits::report
