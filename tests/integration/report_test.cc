// `fruits report` and the report `fruits run` writes, end to end: the page opened in Debian's
// chromium (tests/references/report_page.mjs) loads with no request, no console error and no
// CSP violation, draws every section, and shows the figures of manifest.json, model.json and
// metrics.json; its failures equal DuckDB's grouping of the errors parts; its confused pairs are
// the predictions DuckDB reads; a run without an evaluation has no classifier section; a
// 131-label evaluation stays readable. Screenshots stay in test-artifacts/ for a person.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/fruits_cli.h"
#include "support/read_file.h"
#include "support/reference_readers.h"
#include "support/report_page.h"
#include "support/sample_set_test.h"
#include "support/temp_dir.h"

namespace fruits {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ExpectContains;
using testing::Fruits;
using testing::ReadJson;
using testing::ShellQuote;

// Flags of the runs here: small, quiet runs of the 64x64 sample model.
constexpr char kRunFlags[] = " --batch-size 4 --threads 2 -q";

std::string Artifact(const std::string& name) {
  fs::create_directories(FRUITS_TEST_ARTIFACTS);
  const std::string path = std::string(FRUITS_TEST_ARTIFACTS) + "/" + name;
  fs::remove(path);
  return path;
}

// "45.0%" for 0.45: the page's percentages.
std::string Percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", 100 * share);
  return text;
}

class Report : public testing::SampleSetTest {
 protected:
  // One run with a test set and broken inputs (its report written by `fruits run`), one without
  // a test set, reported by `fruits report`.
  static void SetUpTestSuite() {
    SampleSetTest::SetUpTestSuite();
    AddBrokenImages();
    auto r = Fruits("run --input " + ShellQuote(Training()) + " --test " +
                    ShellQuote(Data() + "/Test") + " --model " + ShellQuote(Model()) + " -o " +
                    ShellQuote(Run()) + " --k auto" + kRunFlags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Fruits("run --input " + ShellQuote(Training()) + " --model " + ShellQuote(Model()) +
               " -o " + ShellQuote(PlainRun()) + " --k 4 --no-report" + kRunFlags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Two truncated JPEGs (one reason, two images) and a text file named .jpg (another reason).
  static void AddBrokenImages() {
    fs::path label;
    for (const auto& entry : fs::directory_iterator(Training())) {
      if (entry.is_directory() && (label.empty() || entry.path() < label)) label = entry.path();
    }
    fs::path jpeg;
    for (const auto& entry : fs::directory_iterator(label)) {
      if (entry.path().extension() == ".jpg") jpeg = entry.path();
    }
    ASSERT_FALSE(jpeg.empty()) << "no JPEG in " << label;
    const std::string bytes = testing::ReadFile(jpeg.string());
    for (const char* name : {"cut_a.jpg", "cut_b.jpg"}) {
      std::ofstream(label / name, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
    }
    std::ofstream(label / "notes.jpg") << "not a photo of a fruit\n";
  }

  static std::string Run() { return dir().File("run"); }
  static std::string PlainRun() { return dir().File("plain"); }
};

TEST_F(Report, RunWritesAPageChromiumShowsWithTheFiguresOfTheJsonFiles) {
  const std::string page = Run() + "/report.html";
  ASSERT_TRUE(fs::exists(page)) << "fruits run wrote no report";
  const json shown =
      testing::ShowReport(page, Artifact("report.png"), Artifact("report_phone.png"));
  ASSERT_TRUE(shown.contains("figures")) << shown.dump();

  EXPECT_EQ(shown["external_requests"], json::array());
  EXPECT_EQ(shown["console_errors"], json::array());
  EXPECT_EQ(shown["page_errors"], json::array());
  EXPECT_EQ(shown["csp_violations"], json::array());
  for (const char* section : {"run", "failures", "cost", "pca", "classifier"}) {
    EXPECT_TRUE(shown["sections"][section]["present"].get<bool>()) << section;
  }
  for (const char* drawn : {"run", "pca", "classifier"}) {
    EXPECT_GT(shown["sections"][drawn]["svg_shapes"].get<int>(), 0) << drawn;
  }

  const json manifest = ReadJson(Run() + "/manifest.json");
  const json pca = ReadJson(Run() + "/pca_model/model.json");
  const json classifier = ReadJson(Run() + "/classifier/model.json");
  const json metrics = ReadJson(Run() + "/evaluation/metrics.json");
  double step_seconds = 0;
  for (const auto& [step, seconds] : manifest["step_seconds"].items()) {
    step_seconds += seconds.get<double>();
  }
  const std::map<std::string, json> expected = {
      {"images", manifest["input"]["images"]},
      {"ok", manifest["results"]["ok"]},
      {"failed", manifest["results"]["failed"]},
      {"images_per_second", manifest["images_per_second"]},
      {"peak_memory_mib", manifest["peak_memory_mib"]},
      {"processes", manifest["settings"]["processes"]},
      {"test_images", manifest["test"]["input"]["images"]},
      {"run_seconds", step_seconds},
      // No --price-per-hour: the table's c6i.xlarge at $0.215 an hour, one instance.
      {"price_per_hour", 0.215},
      {"instances", 1},
      {"cost_total", step_seconds / 3600 * 0.215},
      {"pca_k", pca["k"]},
      {"variance_kept", pca["variance_kept"]},
      {"pca_rows", pca["n"]},
      {"accuracy", metrics["accuracy"]},
      {"top_k_accuracy", metrics["top_k_accuracy"]},
      {"macro_f1", metrics["macro"]["f1"]},
      {"log_loss", metrics["log_loss"]},
      {"evaluation_rows", metrics["n"]},
      {"expected_calibration_error", metrics["calibration"]["expected_calibration_error"]},
      {"classifier_k", classifier["k"]},
      {"validation_accuracy", classifier["validation"]["accuracy"]},
  };
  for (const auto& [name, value] : expected) {
    ASSERT_TRUE(shown["figures"].contains(name)) << name << " not shown";
    EXPECT_NEAR(shown["figures"][name].get<double>(), value.get<double>(),
                1e-12 * std::max(1.0, std::fabs(value.get<double>())))
        << name;
    EXPECT_EQ(shown["figure_counts"][name], 1) << name;
  }
  EXPECT_EQ(shown["figure_texts"]["accuracy"], Percent(metrics["accuracy"].get<double>()));
  EXPECT_EQ(shown["figure_texts"]["variance_kept"], Percent(pca["variance_kept"].get<double>()));
  EXPECT_EQ(shown["figure_texts"]["pca_k"], std::to_string(pca["k"].get<int>()));
  EXPECT_EQ(manifest["results"]["failed"], 3);

  // The classifier's parts: one table row per label, sorted by F1; one heatmap cell per non-zero
  // count; the k curve of --k auto; the scree plot marked at k.
  const size_t labels = metrics["labels"].size();
  EXPECT_EQ(shown["per_label"]["rows"], labels);
  EXPECT_TRUE(shown["per_label"]["f1_sorted_ascending"].get<bool>());
  EXPECT_TRUE(shown["per_label"]["f1_sorted_descending_after_click"].get<bool>());
  int non_zero = 0;
  for (const json& row : metrics["confusion_matrix"]) {
    for (const json& count : row) non_zero += count.get<int>() > 0;
  }
  EXPECT_EQ(shown["heatmap"]["cells"], non_zero);
  EXPECT_EQ(shown["heatmap"]["labels_x"], labels);
  EXPECT_EQ(shown["heatmap"]["labels_y"], labels);
  EXPECT_EQ(shown["k_curve"]["points"], classifier["k_curve"].size());
  ExpectContains(shown["scree"]["k_marker_text"].get<std::string>(),
                 "k = " + std::to_string(pca["k"].get<int>()));

  // The scatter: every training row that has PCA coordinates (fewer than the sample's bound),
  // and hovering one names an image of the run with its label.
  const json rows = testing::DuckDbRead(Run() + "/pca/part-00000.parquet",
                                        "SELECT path, label FROM file ORDER BY path");
  EXPECT_EQ(shown["scatter"]["points"], rows["rows"].size());
  const std::string tooltip = shown["scatter"]["tooltip_after_hover"].get<std::string>();
  bool names_a_row = false;
  for (const json& row : rows["rows"]) {
    names_a_row |= tooltip.find(row[0].get<std::string>()) != std::string::npos &&
                   tooltip.find(row[1].get<std::string>()) != std::string::npos;
  }
  EXPECT_TRUE(names_a_row) << tooltip;
}

TEST_F(Report, FailuresAreGroupedByReasonAsDuckDbCountsThem) {
  const std::string page = Run() + "/report.html";
  const json shown = testing::ShowReport(page, Artifact("report_failures.png"));
  ASSERT_TRUE(shown.contains("failures")) << shown.dump();
  const json groups =
      testing::DuckDbRead(Run() + "/errors/part-00000.parquet",
                          "SELECT stage, reason, count(*) AS n, list(path ORDER BY path) FROM file "
                          "GROUP BY stage, reason ORDER BY n DESC, stage, reason");
  ASSERT_EQ(groups["rows"].size(), 2u) << groups.dump();  // truncated JPEGs, a text file

  json training;
  for (const json& set : shown["failures"]) {
    if (set["set"] == "training") training = set;
  }
  ASSERT_TRUE(training.is_object()) << shown["failures"].dump();
  ASSERT_EQ(training["groups"].size(), groups["rows"].size()) << training.dump();
  for (size_t i = 0; i < groups["rows"].size(); ++i) {
    const json& expected = groups["rows"][i];
    const json& group = training["groups"][i];
    EXPECT_EQ(group["stage"], expected[0]);
    EXPECT_EQ(group["reason"], expected[1]);
    EXPECT_EQ(std::to_string(group["count"].get<int>()), expected[2].get<std::string>());
    std::vector<std::string> paths = group["paths"].get<std::vector<std::string>>();
    std::sort(paths.begin(), paths.end());
    EXPECT_EQ(json(paths), expected[3]);
  }
  EXPECT_EQ(training["groups"][0]["count"], 2);  // the two truncated JPEGs
}

TEST_F(Report, ConfusedPairsShowThumbnailsOfTheTestImagesPredictedWrong) {
  const std::string html = testing::ReadFile(Run() + "/report.html");
  const json data = testing::EmbeddedReportData(html);
  const json metrics = ReadJson(Run() + "/evaluation/metrics.json");
  const json& confused = data["classifier"]["confused_examples"];
  ASSERT_EQ(confused.size(), std::min<size_t>(12, metrics["most_confused"].size()));
  ASSERT_FALSE(confused.empty()) << "the sample classifier made no mistake to show";

  const json predictions = testing::DuckDbRead(
      Run() + "/evaluation/predictions/part-00000.parquet",
      "SELECT path, label, predicted, probability FROM file WHERE label <> predicted");
  std::map<std::string, json> wrong;  // by path
  for (const json& row : predictions["rows"]) wrong[row[0].get<std::string>()] = row;
  size_t examples = 0;
  for (size_t i = 0; i < confused.size(); ++i) {
    const json& pair = confused[i];
    EXPECT_EQ(pair["true"], metrics["most_confused"][i]["true"]);
    EXPECT_EQ(pair["predicted"], metrics["most_confused"][i]["predicted"]);
    EXPECT_EQ(pair["examples"].size(),
              std::min(4, metrics["most_confused"][i]["count"].get<int>()));
    double previous = 1;
    for (const json& example : pair["examples"]) {
      ++examples;
      const std::string path = example["path"].get<std::string>();
      ASSERT_TRUE(wrong.contains(path)) << path << " is not a wrong prediction";
      EXPECT_EQ(wrong[path][1], pair["true"]);
      EXPECT_EQ(wrong[path][2], pair["predicted"]);
      EXPECT_NEAR(example["probability"].get<double>(), wrong[path][3].get<double>(), 1e-7);
      EXPECT_LE(example["probability"].get<double>(), previous);  // most confident first
      previous = example["probability"].get<double>();
      EXPECT_TRUE(example["thumbnail"].get<std::string>().starts_with("data:image/jpeg;base64,"));
    }
  }
  const json shown = testing::ShowReport(Run() + "/report.html", Artifact("report_pairs.png"));
  EXPECT_EQ(shown["confused"]["pairs"], confused.size());
  EXPECT_EQ(shown["confused"]["thumbnails"], examples);
  EXPECT_EQ(shown["confused"]["thumbnails_loaded"], examples);
}

TEST_F(Report, ARunWithoutAnEvaluationHasNoClassifierSection) {
  EXPECT_FALSE(fs::exists(PlainRun() + "/report.html")) << "--no-report wrote a report";
  auto r = Fruits("report " + ShellQuote(PlainRun()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, PlainRun() + "/report.html");
  const json shown =
      testing::ShowReport(PlainRun() + "/report.html", Artifact("report_no_evaluation.png"));
  ASSERT_TRUE(shown.contains("sections")) << shown.dump();
  EXPECT_EQ(shown["console_errors"], json::array());
  EXPECT_EQ(shown["csp_violations"], json::array());
  EXPECT_TRUE(shown["sections"]["pca"]["present"].get<bool>());
  EXPECT_FALSE(shown["sections"]["classifier"]["present"].get<bool>());
  for (const char* figure : {"accuracy", "classifier_k", "test_images", "macro_f1"}) {
    EXPECT_FALSE(shown["figures"].contains(figure)) << figure;
  }
  EXPECT_EQ(shown["figures"]["pca_k"], 4);
}

TEST_F(Report, AnExtractionHasItsRunFailuresAndCostOnly) {
  const std::string out = dir().File("extract");
  auto r = Fruits("extract --input " + ShellQuote(Training()) + " --model " + ShellQuote(Model()) +
                  " -o " + ShellQuote(out) + kRunFlags);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Fruits("report " + ShellQuote(out) + " --price-per-hour 0.5 --currency EUR --instances 3 -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json data = testing::EmbeddedReportData(testing::ReadFile(out + "/report.html"));
  const json manifest = ReadJson(out + "/manifest.json");
  EXPECT_EQ(data["manifest"], manifest);
  EXPECT_EQ(data["cost"]["currency"], "EUR");
  EXPECT_EQ(data["cost"]["assumed"], false);
  EXPECT_NEAR(data["cost"]["total"].get<double>(),
              manifest["seconds"]["total"].get<double>() / 3600 * 3 * 0.5, 1e-15);
  const json shown = testing::ShowReport(out + "/report.html", Artifact("report_extract.png"));
  ASSERT_TRUE(shown.contains("sections")) << shown.dump();
  EXPECT_EQ(shown["console_errors"], json::array());
  EXPECT_FALSE(shown["sections"]["pca"]["present"].get<bool>());
  EXPECT_FALSE(shown["sections"]["classifier"]["present"].get<bool>());
  EXPECT_EQ(shown["figures"]["price_per_hour"], 0.5);
  EXPECT_EQ(shown["figures"]["instances"], 3);
  EXPECT_EQ(shown["figures"]["failed"], 3);
}

// A Fruits-360-sized label set: 131 labels, 10 test images each, all right but for three pairs
// of look-alikes far apart in label order.
json SyntheticEvaluation(int labels) {
  json names = json::array();
  json per_label = json::array();
  std::vector<std::vector<int>> confusion(labels, std::vector<int>(labels, 0));
  for (int i = 0; i < labels; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "Fruit %03d", i);
    names.push_back(name);
    confusion[i][i] = 10;
  }
  const std::vector<std::pair<int, int>> look_alikes = {{3, 90}, {17, 120}, {40, 41}};
  json most_confused = json::array();
  for (auto [a, b] : look_alikes) {
    confusion[a][a] -= 4;
    confusion[a][b] += 4;
    confusion[b][b] -= 2;
    confusion[b][a] += 2;
    most_confused.push_back(
        {{"true", names[a]}, {"predicted", names[b]}, {"count", 4}, {"share_of_true", 0.4}});
  }
  for (int i = 0; i < labels; ++i) {
    per_label.push_back({{"label", names[i]},
                         {"precision", 0.9},
                         {"recall", 0.9},
                         {"f1", 0.5 + 0.003 * i},
                         {"support", 10}});
  }
  return {{"format", "fruits.metrics"},
          {"version", 1},
          {"n", labels * 10},
          {"accuracy", 0.99},
          {"top_k", 5},
          {"top_k_accuracy", 1.0},
          {"log_loss", 0.05},
          {"macro", {{"precision", 0.99}, {"recall", 0.99}, {"f1", 0.99}}},
          {"per_label", per_label},
          {"labels", names},
          {"confusion_matrix", confusion},
          {"most_confused", most_confused},
          {"calibration",
           {{"bins", 15}, {"expected_calibration_error", 0.01}, {"per_bin", json::array()}}},
          {"classifier", {{"folder", "elsewhere"}, {"digest", "not-this-run"}}}};
}

TEST_F(Report, A131LabelEvaluationStaysReadable) {
  const std::string evaluation = dir().File("eval131");
  fs::create_directories(evaluation);
  std::ofstream(evaluation + "/metrics.json") << SyntheticEvaluation(131).dump();
  const std::string page = dir().File("report131.html");
  auto r = Fruits("report " + ShellQuote(PlainRun()) + " --evaluation " + ShellQuote(evaluation) +
                  " -o " + ShellQuote(page) + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Look-alikes sit next to each other along the heatmap's axes.
  const json data = testing::EmbeddedReportData(testing::ReadFile(page));
  const std::vector<int> order = data["classifier"]["order"].get<std::vector<int>>();
  ASSERT_EQ(order.size(), 131u);
  EXPECT_EQ(std::set<int>(order.begin(), order.end()).size(), 131u);
  auto position = [&](int label) {
    return std::find(order.begin(), order.end(), label) - order.begin();
  };
  for (auto [a, b] : std::vector<std::pair<int, int>>{{3, 90}, {17, 120}, {40, 41}}) {
    EXPECT_EQ(std::abs(position(a) - position(b)), 1) << a << " and " << b;
  }

  const json shown = testing::ShowReport(page, Artifact("report_131_labels.png"));
  ASSERT_TRUE(shown.contains("heatmap")) << shown.dump();
  EXPECT_EQ(shown["console_errors"], json::array());
  EXPECT_EQ(shown["per_label"]["rows"], 131);
  const json& heatmap = shown["heatmap"];
  EXPECT_EQ(heatmap["labels_x"], 131);
  EXPECT_EQ(heatmap["labels_y"], 131);
  EXPECT_EQ(heatmap["cells"], 131 + 6);
  // Every label gets a row of its own at the first zoom: at least 8 px per label, text at least
  // 8 px; zooming in makes it larger.
  EXPECT_GE(heatmap["height"].get<double>(), 131 * 8);
  EXPECT_GE(heatmap["label_font_px"].get<double>(), 8);
  EXPECT_GT(heatmap["width_after_zoom_in"].get<double>(), heatmap["width"].get<double>());
  // The evaluation names another classifier: its facts are left out, not mixed in.
  EXPECT_TRUE(data["classifier"]["model"].is_null());
  EXPECT_FALSE(shown["figures"].contains("classifier_k"));
  EXPECT_EQ(shown["figures"]["accuracy"], 0.99);
}

TEST_F(Report, BadInputStopsAtOnceWithWhatToDo) {
  auto r = Fruits("report " + ShellQuote(dir().File("nothing-here")));
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "no manifest.json");
  r = Fruits("report " + ShellQuote(PlainRun()) + " --instance-type z9.huge");
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "c6i.xlarge");
  r = Fruits("report " + ShellQuote(PlainRun()) + " --evaluation " +
             ShellQuote(dir().File("no-eval")));
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "no metrics.json");
  // fruits run checks the report's flags before it extracts anything.
  const std::string out = dir().File("refused");
  r = Fruits("run --input " + ShellQuote(Training()) + " --model " + ShellQuote(Model()) + " -o " +
             ShellQuote(out) + " --k 4 --price-per-hour -1" + kRunFlags);
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "--price-per-hour");
  EXPECT_FALSE(fs::exists(out + "/features"));
}

}  // namespace
}  // namespace fruits
