// The web page of `fruits serve` (src/serve/web/index.html) in a real browser: Debian's chromium
// driven by puppeteer-core (tests/references/serve_page.mjs) against the real server, compared
// with `fruits classify --json` on the same image. The page's screenshots (desktop and phone) are
// kept under FRUITS_TEST_ARTIFACTS for a person to look at.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/fruits_cli.h"
#include "support/fruits_server.h"
#include "support/read_file.h"
#include "support/reference_readers.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fruits {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ExpectContains;
using testing::Fruits;
using testing::FruitsServer;
using testing::ShellQuote;
using testing::TempDir;

// The first image (in name order) of the first label of the sample set's Test folder.
std::string FirstTestImage() {
  std::vector<fs::path> labels;
  for (const auto& entry : fs::directory_iterator(fs::path(FRUITS_SAMPLE_SET) / "data/Test")) {
    if (entry.is_directory()) labels.push_back(entry.path());
  }
  std::sort(labels.begin(), labels.end());
  if (labels.empty()) return "";
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(labels.front())) images.push_back(entry.path());
  std::sort(images.begin(), images.end());
  return images.empty() ? "" : images.front().string();
}

bool IsPng(const std::string& path) {
  return testing::ReadFile(path).rfind("\x89PNG\r\n\x1a\n", 0) == 0;
}

// "87.3%" -> (87.3, 1): the number and how many decimals the page shows.
std::pair<double, int> ParsePercent(const std::string& text) {
  size_t dot = text.find('.');
  size_t end = text.find('%');
  int decimals =
      dot == std::string::npos || end == std::string::npos ? 0 : static_cast<int>(end - dot - 1);
  return {std::stod(text), decimals};
}

// What the page showed for one upload of the image equals `fruits classify`'s answer: the same
// labels in the same order, each percentage the probability rounded to the shown precision.
void ExpectShowsTop(const json& shown, const json& expected_top, const std::string& what) {
  SCOPED_TRACE(what + ": " + shown.dump());
  EXPECT_EQ(shown["state"], "done");
  EXPECT_FALSE(shown["error_visible"].get<bool>());
  ASSERT_EQ(shown["top"].size(), expected_top.size());
  ASSERT_EQ(shown["percent_texts"].size(), expected_top.size());
  for (size_t i = 0; i < expected_top.size(); ++i) {
    EXPECT_EQ(shown["top"][i], expected_top[i]["label"]) << "rank " << i;
    auto [percent, decimals] = ParsePercent(shown["percent_texts"][i].get<std::string>());
    double probability = expected_top[i]["probability"].get<double>();
    // Half a unit of the last shown digit, and a little for float32 -> decimal.
    EXPECT_NEAR(percent, 100 * probability, 0.5 * std::pow(10.0, -decimals) + 1e-6)
        << "rank " << i << ": " << shown["percent_texts"][i];
  }
}

TEST(ServePage, ShowsClassifyTopLabelsInChromiumAndRecoversFromARefusedFile) {
  const std::string image = FirstTestImage();
  ASSERT_FALSE(image.empty()) << "no Test image in " << FRUITS_SAMPLE_SET;

  testing::CommandResult classify =
      Fruits("classify --model " + ShellQuote(FRUITS_APP_MODEL) + " --json " + ShellQuote(image));
  ASSERT_EQ(classify.exit_code, 0) << classify.err;
  const json expected = json::parse(classify.out);
  const json& expected_top = expected["top"];
  ASSERT_FALSE(expected_top.empty()) << classify.out;
  ASSERT_LE(expected_top.size(), 5u) << classify.out;

  TempDir scratch;
  const std::string not_image = scratch.File("notes.txt");
  std::ofstream(not_image) << "a shopping list, not a photo of a fruit\n";
  fs::create_directories(FRUITS_TEST_ARTIFACTS);
  const std::string screenshot = std::string(FRUITS_TEST_ARTIFACTS) + "/serve_page.png";
  const std::string phone_screenshot = std::string(FRUITS_TEST_ARTIFACTS) + "/serve_page_phone.png";
  fs::remove(screenshot);
  fs::remove(phone_screenshot);

  FruitsServer server({"--model", FRUITS_APP_MODEL, "--port", "0"});
  const json page = testing::RunReferenceReader(
      "serve_page.mjs", ShellQuote(server.url()) + " " + ShellQuote(image) + " " +
                            ShellQuote(not_image) + " " + ShellQuote(screenshot) + " " +
                            ShellQuote(phone_screenshot));
  ASSERT_TRUE(page.contains("results")) << page.dump();

  // Nothing but the server: no font, script or image from elsewhere, no error in the console.
  EXPECT_EQ(page["external_requests"], json::array()) << page.dump();
  EXPECT_EQ(page["console_errors"], json::array()) << page.dump();

  // The model's facts, as the server reports them.
  const json& model = page["server_model"];
  const std::string model_text = page["model_text"].get<std::string>();
  ExpectContains(model_text, std::to_string(model["labels"].size()) + " labels");
  ExpectContains(model_text, model["name"].get<std::string>());
  ExpectContains(model_text, model["sha256"].get<std::string>().substr(0, 12));
  if (model["accuracy"].is_number()) {
    char accuracy[32];
    std::snprintf(accuracy, sizeof accuracy, "%.1f%%", 100 * model["accuracy"].get<double>());
    ExpectContains(model_text, std::string("test accuracy ") + accuracy);
  } else {
    ExpectContains(model_text, "test accuracy not recorded");
  }
  EXPECT_EQ(page["camera_capture"], "environment");

  // The image by "Choose a photo", by "Take a photo", and dropped on the page after the error:
  // each time classify's labels and probabilities.
  ASSERT_EQ(page["results"].size(), 3u);
  ExpectShowsTop(page["results"][0], expected_top, "chosen");
  ExpectShowsTop(page["results"][1], expected_top, "taken, after the refused file");
  ExpectShowsTop(page["results"][2], expected_top, "dropped");
  EXPECT_EQ(page["top"][0], expected_top[0]["label"]);

  // The image went as its own bytes, the text file as a multipart form field.
  const json& requests = page["classify_requests"];
  ASSERT_EQ(requests.size(), 4u) << requests.dump();
  EXPECT_EQ(requests[0]["content_type"], "image/jpeg");
  EXPECT_EQ(requests[1]["content_type"].get<std::string>().rfind("multipart/form-data", 0), 0u);

  // The refused file: the server's own reason, visible, and no stale result beside it.
  const json& error = page["error"];
  const json& server_error = page["server_error"];
  EXPECT_TRUE(server_error["status"] == 400 || server_error["status"] == 415) << server_error;
  EXPECT_TRUE(error["visible"].get<bool>()) << error;
  EXPECT_EQ(error["text"], server_error["error"]);
  EXPECT_EQ(error["state"], "error");
  EXPECT_EQ(error["shown_results"], 0);
  EXPECT_LE(page["expected_console_errors"].size(), 1u) << page["expected_console_errors"];

  EXPECT_TRUE(IsPng(screenshot)) << screenshot;
  EXPECT_TRUE(IsPng(phone_screenshot)) << phone_screenshot;
}

}  // namespace
}  // namespace fruits
