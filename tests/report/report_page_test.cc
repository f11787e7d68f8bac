// RenderReportPage: the filled page keeps a policy that allows exactly its own script and style,
// the title is HTML text, and no data can close the data element or reach another marker.

#include "report/report_page.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "support/text_assertions.h"
#include "util/base64.h"
#include "util/error.h"
#include "util/sha256.h"

namespace fruits::report {
namespace {

using nlohmann::ordered_json;
using testing::Contains;
using testing::Lacks;

constexpr std::string_view kDataOpen = R"(<script type="application/json" id="report-data">)";

// The text between the first `open` in `page` and the next `close`; a test failure when absent.
std::string Between(const std::string& page, std::string_view open, std::string_view close) {
  const size_t begin = page.find(open);
  const size_t end = begin == std::string::npos ? begin : page.find(close, begin + open.size());
  if (end == std::string::npos) {
    ADD_FAILURE() << "no " << open << "..." << close << " in the page";
    return "";
  }
  return page.substr(begin + open.size(), end - begin - open.size());
}

int Occurrences(const std::string& text, std::string_view part) {
  int count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

// A CSP source expression for `content`: 'sha256-' and the base64 of its raw digest.
std::string HashSource(std::string_view content) {
  Sha256 hash;
  hash.Update(content);
  std::string source = "'sha256-";
  return source.append(Base64Encode(hash.Digest())).append("'");
}

ordered_json SampleData() {
  return {{"manifest", {{"run", "/runs/apples"}, {"images", 1000}}},
          {"labels", {"Apple Red 1", "Banana"}},
          {"note", "a < b && c > d"}};
}

TEST(RenderReportPage, LeavesNoMarker) {
  const std::string page = RenderReportPage(SampleData(), "/runs/apples");
  EXPECT_TRUE(Lacks(page, "__FRUITS_CSP__"));
  EXPECT_TRUE(Lacks(page, "__FRUITS_TITLE__"));
  EXPECT_TRUE(Lacks(page, "__FRUITS_DATA__"));
  EXPECT_TRUE(Contains(page, "<title>/runs/apples</title>"));
}

// The policy is computed from the template; the hashes must still match the filled page's
// script and style, which is what a browser checks.
TEST(RenderReportPage, PolicyAllowsExactlyThePagesOwnScriptAndStyle) {
  const std::string page = RenderReportPage(SampleData(), "/runs/apples");
  const std::string policy =
      Between(page, R"(<meta http-equiv="Content-Security-Policy" content=")", "\"");
  std::string expected = "default-src 'none'; script-src ";
  expected.append(HashSource(Between(page, "<script>", "</script>")))
      .append("; style-src ")
      .append(HashSource(Between(page, "<style>", "</style>")))
      .append("; img-src data:; base-uri 'none'; form-action 'none'");
  EXPECT_EQ(policy, expected);
  EXPECT_EQ(policy, ReportSecurityPolicy(ReportTemplate()));
  EXPECT_TRUE(Lacks(policy, "unsafe-inline"));
  // One inline script and one style sheet: nothing else that the policy would have to allow.
  EXPECT_EQ(Occurrences(page, "<script>"), 1);
  EXPECT_EQ(Occurrences(page, "<style>"), 1);
}

// Hashes of "x" and "s" as `printf x | openssl dgst -sha256 -binary | base64` gives them.
TEST(ReportSecurityPolicy, HashesTheScriptAndStyleText) {
  EXPECT_EQ(ReportSecurityPolicy("<style>s</style><p></p><script>x</script>"),
            "default-src 'none'; script-src 'sha256-LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE='; "
            "style-src 'sha256-BDpxh3TFcr2KJa2+sb/NXAJWrhHOz5+cP5JdDlK+r4k='; img-src data:; "
            "base-uri 'none'; form-action 'none'");
}

TEST(ReportSecurityPolicy, ATemplateWithoutScriptOrStyleIsABug) {
  EXPECT_THROW(ReportSecurityPolicy("<style>s</style>"), InternalError);
  EXPECT_THROW(ReportSecurityPolicy("<script>x</script>"), InternalError);
  EXPECT_THROW(ReportSecurityPolicy("<script>x"), InternalError);
}

TEST(RenderReportPage, TitleIsHtmlEscaped) {
  const std::string page = RenderReportPage(SampleData(), "/runs/<b>&\"x");
  EXPECT_TRUE(Contains(page, "<title>/runs/&lt;b&gt;&amp;&quot;x</title>"));
  EXPECT_TRUE(Lacks(page, "<b>"));
}

TEST(RenderReportPage, DataCannotCloseItsElement) {
  ordered_json data = SampleData();
  data["paths"] = {"</script><script>alert(1)</script>", "<!--<script>", "</SCRIPT >"};
  const std::string page = RenderReportPage(data, "/runs/apples");
  // The page's own closers only: the data element's and the script's.
  EXPECT_EQ(Occurrences(page, "</script>"), 2);
  EXPECT_TRUE(Lacks(page, "alert(1)</script>"));
  const std::string json = Between(page, kDataOpen, "</script>");
  EXPECT_TRUE(Lacks(json, "<"));
  EXPECT_TRUE(Contains(json, R"(\u003c/script>\u003cscript>alert(1)\u003c/script>)"));
  EXPECT_EQ(ordered_json::parse(json), data);
}

// Paths are bytes, not always UTF-8: the page still renders, the bad bytes replaced.
TEST(RenderReportPage, InvalidUtf8InDataIsReplaced) {
  const ordered_json data = {{"path", "Apple\xff.jpg"}};
  const std::string page = RenderReportPage(data, "t");
  EXPECT_EQ(ordered_json::parse(Between(page, kDataOpen, "</script>"))["path"],
            "Apple\xef\xbf\xbd.jpg");
}

// Markers are found in the template only: a title spelling one stays text and gets no data.
TEST(RenderReportPage, AMarkerInTheTitleIsNotFilled) {
  const ordered_json data = {{"secret", "xyzzy-data"}};
  const std::string page = RenderReportPage(data, "a __FRUITS_DATA__ __FRUITS_CSP__ b");
  EXPECT_TRUE(Contains(page, "<title>a __FRUITS_DATA__ __FRUITS_CSP__ b</title>"));
  EXPECT_EQ(Occurrences(page, "xyzzy-data"), 1);
  EXPECT_EQ(ordered_json::parse(Between(page, kDataOpen, "</script>")), data);
  EXPECT_EQ(Occurrences(page, "default-src 'none'"), 1);
}

}  // namespace
}  // namespace fruits::report
