// `fruits train`, `fruits evaluate` and `fruits run --test` end to end, on the sample set's
// features: the classifier against scikit-learn (tests/references/sklearn_classifier.py: its own
// PCA coordinates from CLF's .npy files, LogisticRegression, sklearn.metrics), predictions parts
// as DuckDB reads them, --k auto's rule recomputed from the curve, the seeded stratified holdout,
// unknown test labels, every refusal, and a resumed run that redoes nothing.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "parquet/writer.h"
#include "pipeline/features_part.h"
#include "storage/local_store.h"
#include "support/float_file.h"
#include "support/fruits_cli.h"
#include "support/python_reference.h"
#include "support/read_file.h"
#include "support/reference_readers.h"
#include "support/run_command.h"
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
using testing::TempDir;

// The parts of a folder, sorted by name.
std::vector<std::string> Parts(const std::string& folder) {
  std::vector<std::string> parts;
  for (const auto& entry : fs::directory_iterator(folder)) parts.push_back(entry.path().string());
  std::sort(parts.begin(), parts.end());
  return parts;
}

std::string Bytes(const std::string& path) { return testing::ReadFile(path); }

// Every row of a features folder, as DuckDB reads its parts.
struct FeatureRows {
  std::vector<std::string> paths, labels;
  std::vector<float> x;
  int64_t dim = 0;
  int64_t rows() const { return static_cast<int64_t>(paths.size()); }
};

FeatureRows ReadFeatures(const std::string& folder) {
  FeatureRows rows;
  for (const std::string& part : Parts(folder)) {
    const json table = testing::DuckDbRead(part);
    EXPECT_EQ(table["columns"][2]["type"], "FLOAT[]") << part;
    for (const auto& row : table["rows"]) {
      const auto features = row[2].get<std::vector<float>>();
      rows.dim = static_cast<int64_t>(features.size());
      rows.paths.push_back(row[0].get<std::string>());
      rows.labels.push_back(row[1].get<std::string>());
      rows.x.insert(rows.x.end(), features.begin(), features.end());
    }
  }
  return rows;
}

// A features part written with the project's schema: rows the extraction cannot produce
// (non-finite features, another dimension).
void WriteFeaturesPart(const std::string& path, const std::vector<std::string>& paths,
                       const std::vector<std::string>& labels, const std::vector<float>& x,
                       int64_t dim) {
  fs::create_directories(fs::path(path).parent_path());
  storage::LocalStore store;
  parquet::ParquetWriter writer(store.NewWritableFile(path), pipeline::FeaturesSchema(),
                                parquet::WriterOptions());
  const parquet::ColumnValues columns[] = {parquet::ColumnValues::Strings(paths),
                                           parquet::ColumnValues::Strings(labels),
                                           parquet::ColumnValues::FloatRows(x, dim)};
  writer.Write(columns);
  writer.Close();
}

// Numbers within `relative` (and 1e-12 absolute, for figures near 0), integers and strings
// exact, the same keys in the same order; `ours` may have keys `expected` lacks.
void ExpectCloseJson(const json& ours, const json& expected, double relative,
                     const std::string& at) {
  if (expected.is_number_integer()) {
    EXPECT_EQ(ours, expected) << at;
  } else if (expected.is_number()) {
    ASSERT_TRUE(ours.is_number()) << at << ": " << ours.dump();
    const double a = ours.get<double>(), b = expected.get<double>();
    EXPECT_LE(std::abs(a - b), relative * std::max(std::abs(a), std::abs(b)) + 1e-12)
        << at << ": " << a << " vs scikit-learn's " << b;
  } else if (expected.is_object()) {
    ASSERT_TRUE(ours.is_object()) << at;
    for (const auto& item : expected.items()) {
      ASSERT_TRUE(ours.contains(item.key())) << at << " lacks " << item.key();
      ExpectCloseJson(ours[item.key()], item.value(), relative, at + "." + item.key());
    }
  } else if (expected.is_array()) {
    ASSERT_TRUE(ours.is_array()) << at;
    ASSERT_EQ(ours.size(), expected.size()) << at;
    for (size_t i = 0; i < expected.size(); ++i) {
      ExpectCloseJson(ours[i], expected[i], relative, at + "[" + std::to_string(i) + "]");
    }
  } else {
    EXPECT_EQ(ours, expected) << at;
  }
}

// Inode and modification time: a file rewritten (atomically, by rename) changes both.
std::pair<ino_t, int64_t> Identity(const std::string& path) {
  struct stat s {};
  EXPECT_EQ(::stat(path.c_str(), &s), 0) << path;
  return {s.st_ino, static_cast<int64_t>(s.st_mtim.tv_sec) * 1000000000 + s.st_mtim.tv_nsec};
}

std::map<std::string, std::pair<ino_t, int64_t>> Identities(const std::string& folder) {
  std::map<std::string, std::pair<ino_t, int64_t>> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) files[entry.path().string()] = Identity(entry.path().string());
  }
  return files;
}

// --- train and evaluate on features extracted once ----------------------------------------

class ClassifyCli : public testing::SampleSetTest {
 protected:
  static void SetUpTestSuite() {
    SampleSetTest::SetUpTestSuite();
    for (const char* split : {"Training", "Test"}) {
      auto r = Fruits("extract --input " + ShellQuote(Data() + "/" + split) + " --model " +
                      ShellQuote(Model()) + " -o " + ShellQuote(dir().File(split)) +
                      " --shard-size 10 -q");
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    train_rows_ = ReadFeatures(TrainFeatures());
    test_rows_ = ReadFeatures(TestFeatures());
  }

  // The extracted rows, as DuckDB reads them.
  static inline FeatureRows train_rows_, test_rows_;

  static std::string TrainFeatures() { return dir().File("Training/features"); }
  static std::string TestFeatures() { return dir().File("Test/features"); }

  static testing::CommandResult Train(const std::string& output, const std::string& flags) {
    return Fruits("train --features " + ShellQuote(TrainFeatures()) + " -o " + ShellQuote(output) +
                  " " + flags);
  }
  static testing::CommandResult Evaluate(const std::string& classifier, const std::string& features,
                                         const std::string& output, const std::string& flags = "") {
    return Fruits("evaluate --classifier " + ShellQuote(classifier) + " --features " +
                  ShellQuote(features) + " -o " + ShellQuote(output) + " " + flags);
  }
};

// Writes a features folder's rows as raw float32 for Python; returns its case entry.
json RawRows(const FeatureRows& rows, const std::string& path) {
  testing::WriteFloats(path, rows.x.data(), rows.x.size());
  return {{"features", path}, {"n", rows.rows()}, {"d", rows.dim}, {"labels", rows.labels}};
}

TEST_F(ClassifyCli, AgreesWithScikitLearnAndMetricsEqualSklearnMetrics) {
  TempDir out;
  const FeatureRows& train = train_rows_;
  const FeatureRows& test = test_rows_;
  ASSERT_EQ(train.rows(), 36);
  ASSERT_EQ(test.rows(), 12);
  ASSERT_EQ(train.dim, 1280);
  json cases = {{"cases", json::array()}};
  const json train_raw = RawRows(train, out.File("train.f32"));
  const json test_raw = RawRows(test, out.File("test.f32"));
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"k4", "--k 4"}, {"k12", "--k 12"}, {"k30", "--k 30"}, {"k12_whiten", "--k 12 --whiten"}};
  for (const auto& [name, flags] : runs) {
    // At convergence, as the reference: tighter than the default tolerance.
    auto trained = Train(out.File(name), flags + " --tolerance 1e-8 -q");
    ASSERT_EQ(trained.exit_code, 0) << name << ": " << trained.err;
    auto evaluated = Evaluate(out.File(name), TestFeatures(), out.File(name + "_eval"), "-q");
    ASSERT_EQ(evaluated.exit_code, 0) << name << ": " << evaluated.err;
    cases["cases"].push_back({{"name", name},
                              {"classifier", out.File(name)},
                              {"C", 1.0},
                              {"top", 5},
                              {"train", train_raw},
                              {"test", test_raw}});
  }
  { std::ofstream(out.File("cases.json")) << cases.dump(); }
  auto python = testing::RunPythonReference(
      "sklearn_classifier.py",
      ShellQuote(out.File("cases.json")) + " " + ShellQuote(out.File("sklearn.json")));
  ASSERT_EQ(python.exit_code, 0) << python.err;
  const json reference = ReadJson(out.File("sklearn.json"));

  for (const auto& [name, flags] : runs) {
    SCOPED_TRACE(name);
    const json& r = reference.at(name);
    const json model = ReadJson(out.File(name + "/model.json"));
    EXPECT_EQ(model["k"], name == "k4" ? 4 : name == "k30" ? 30 : 12);
    EXPECT_EQ(r["k"], model["k"]);
    EXPECT_EQ(r["whiten"], name == "k12_whiten");
    EXPECT_EQ(model["training"]["rows"], 36);
    EXPECT_TRUE(model["validation"].is_null());
    EXPECT_EQ(r["labels"], json({"Apple Red 1", "Banana", "Orange"}));

    // The objective at convergence: ours (computed by numpy from weights.npy and bias.npy on
    // numpy's PCA coordinates) within 1e-4 of scikit-learn's, and model.json states it.
    const double sklearn_objective = r["sklearn_objective"], ours_objective = r["ours_objective"];
    EXPECT_LE(std::abs(ours_objective - sklearn_objective), 1e-4 * sklearn_objective)
        << "ours " << ours_objective << ", scikit-learn " << sklearn_objective << " after "
        << r["sklearn_iterations"] << " iterations";
    const double stated = r["model_json_objective"];
    EXPECT_LE(std::abs(stated - ours_objective), 1e-6 * ours_objective)
        << "model.json says " << stated << ", numpy computes " << ours_objective;

    // ">= 99.5% of test rows predicted alike, accuracy within 0.2 points": on 12 rows, one row
    // is 8.3 points, so both mean every prediction equal.
    EXPECT_EQ(r["ours_predicted"], r["sklearn_predicted"]);

    // metrics.json: every figure sklearn.metrics computes from our probabilities (numpy, float64;
    // ours come from float32 PCA coordinates, hence 1e-6).
    const json metrics = ReadJson(out.File(name + "_eval/metrics.json"));
    ExpectCloseJson(metrics, r["expected_metrics"], 1e-6, "metrics.json");
    EXPECT_EQ(metrics["n"], 12);
    EXPECT_EQ(metrics["top_k"], 3);
    EXPECT_EQ(metrics["top_requested"], 5);
    EXPECT_EQ(metrics["classifier"]["folder"], out.File(name));
    EXPECT_EQ(metrics["features"]["folder"], TestFeatures());

    // Predictions: one part per features part, of the stated columns, consistent with Python.
    std::map<std::string, size_t> row_of;
    for (size_t i = 0; i < test.paths.size(); ++i) row_of[test.paths[i]] = i;
    const std::vector<std::string> parts = Parts(out.File(name + "_eval/predictions"));
    const std::vector<std::string> features_parts = Parts(TestFeatures());
    ASSERT_EQ(parts.size(), features_parts.size());
    int64_t rows = 0;
    for (size_t p = 0; p < parts.size(); ++p) {
      EXPECT_EQ(fs::path(parts[p]).filename(), fs::path(features_parts[p]).filename());
      const json table = testing::DuckDbRead(parts[p]);
      const json types = {{{"name", "path"}, {"type", "VARCHAR"}},
                          {{"name", "label"}, {"type", "VARCHAR"}},
                          {{"name", "predicted"}, {"type", "VARCHAR"}},
                          {{"name", "probability"}, {"type", "FLOAT"}},
                          {{"name", "top_labels"}, {"type", "VARCHAR[]"}},
                          {{"name", "top_probabilities"}, {"type", "FLOAT[]"}}};
      EXPECT_EQ(table["columns"], types);
      for (const auto& row : table["rows"]) {
        ++rows;
        const std::string path = row[0];
        ASSERT_TRUE(row_of.count(path)) << path;
        const size_t i = row_of[path];
        EXPECT_EQ(row[1], test.labels[i]) << path;
        EXPECT_EQ(row[2], r["ours_predicted"][i]) << path;
        const auto top_labels = row[4].get<std::vector<std::string>>();
        const auto top_probabilities = row[5].get<std::vector<float>>();
        ASSERT_EQ(top_labels.size(), 3u) << path;
        ASSERT_EQ(top_probabilities.size(), 3u) << path;
        EXPECT_EQ(row[2], top_labels[0]) << path;
        EXPECT_EQ(row[3].get<float>(), top_probabilities[0]) << path;
        EXPECT_TRUE(std::is_sorted(top_probabilities.rbegin(), top_probabilities.rend())) << path;
        EXPECT_EQ(std::set<std::string>(top_labels.begin(), top_labels.end()).size(), 3u) << path;
        EXPECT_NEAR(row[3].get<double>(), r["ours_top_probability"][i].get<double>(), 1e-5) << path;
      }
    }
    EXPECT_EQ(rows, 12);
  }
}

TEST_F(ClassifyCli, KAutoPicksTheKItsRuleSaysFromTheCurve) {
  TempDir out;
  auto r = Train(out.File("clf"), "--k auto --k-candidates 2,4,8,64 --holdout 0.25");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 36 rows: the PCA keeps at most 35 components.
  ExpectContains(r.err, "k candidates 64 dropped: the PCA keeps at most 35 components");
  const json model = ReadJson(out.File("clf/model.json"));
  const json& curve = model["k_curve"];
  ASSERT_EQ(curve.size(), 3u) << curve.dump();
  double best = -1;
  for (size_t i = 0; i < curve.size(); ++i) {
    EXPECT_EQ(curve[i]["k"], std::vector<int>({2, 4, 8})[i]);
    best = std::max(best, curve[i]["validation_accuracy"].get<double>());
  }
  // The smallest k whose validation accuracy is within 0.2 points of the best.
  int64_t expected = -1;
  for (const auto& point : curve) {
    if (100 * point["validation_accuracy"].get<double>() >= 100 * best - 0.2 - 1e-9) {
      expected = point["k"];
      break;
    }
  }
  EXPECT_EQ(model["k"], expected) << curve.dump();
  EXPECT_EQ(model["validation"]["rows"], 9);
  EXPECT_EQ(
      model["validation"]["accuracy"],
      curve[static_cast<size_t>(std::find_if(curve.begin(), curve.end(),
                                             [&](const json& p) { return p["k"] == expected; }) -
                                curve.begin())]["validation_accuracy"]);
  ExpectContains(model["k_reason"], "k = " + std::to_string(expected));
  // The classifier's PCA holds the chosen k components.
  const std::string components = Bytes(out.File("clf/pca_model/components.npy"));
  ExpectContains(components, "(" + std::to_string(expected) + ", 1280)");
  ExpectContains(r.out, "classifier: 3 labels on " + std::to_string(expected) + " PCA components");
}

TEST_F(ClassifyCli, HoldoutIsStratifiedAndSeededAndValidationReportsItsRows) {
  TempDir out;
  for (const char* name : {"a", "b"}) {
    auto r = Train(out.File(name), "--k 8 --holdout 0.25 --seed 7 -q");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto other = Train(out.File("c"), "--k 8 --holdout 0.25 --seed 8 -q");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  const json a = ReadJson(out.File("a/model.json")), b = ReadJson(out.File("b/model.json"));
  // round(0.25 x 12) = 3 rows of each of the 3 labels.
  EXPECT_EQ(a["validation"]["rows"], 9);
  EXPECT_EQ(a["training"]["rows"], 27);
  EXPECT_EQ(a["validation"], b["validation"]);
  EXPECT_EQ(a["training"], b["training"]);
  // Compared as booleans: gtest would print the bytes.
  EXPECT_TRUE(Bytes(out.File("a/weights.npy")) == Bytes(out.File("b/weights.npy")))
      << "the same seed holds out the same rows";
  EXPECT_TRUE(Bytes(out.File("a/weights.npy")) != Bytes(out.File("c/weights.npy")))
      << "another seed holds out other rows";
  ExpectContains(a["validation"]["source"], "seed 7");

  // Stratified: round(0.1 x 12) = 1 row per label, 3 in all, where 10% of the 36 rows drawn
  // regardless of label would be 4.
  auto tenth = Train(out.File("d"), "--k 8 --holdout 0.1 -q");
  ASSERT_EQ(tenth.exit_code, 0) << tenth.err;
  const json d = ReadJson(out.File("d/model.json"));
  EXPECT_EQ(d["validation"]["rows"], 3);
  EXPECT_EQ(d["training"]["rows"], 33);

  auto validated = Train(out.File("v"), "--k 8 --validation " + ShellQuote(TestFeatures()));
  ASSERT_EQ(validated.exit_code, 0) << validated.err;
  const json v = ReadJson(out.File("v/model.json"));
  EXPECT_EQ(v["validation"]["rows"], 12);
  EXPECT_EQ(v["validation"]["unknown_label_rows"], 0);
  EXPECT_EQ(v["validation"]["source"], TestFeatures());
  EXPECT_EQ(v["training"]["rows"], 36);
  ASSERT_TRUE(v["validation"]["accuracy"].is_number());
  char accuracy[32];
  std::snprintf(accuracy, sizeof accuracy, "%.2f%%",
                100 * v["validation"]["accuracy"].get<double>());
  ExpectContains(validated.out, std::string("validation accuracy ") + accuracy + " on 12 rows (" +
                                    TestFeatures() + ")");
}

TEST_F(ClassifyCli, BadInputsGetTheirMessage) {
  TempDir out;
  // Rows without a label.
  auto unlabelled =
      Fruits("extract --input " + ShellQuote(Training()) + " --model " + ShellQuote(Model()) +
             " -o " + ShellQuote(out.File("none")) + " --label-from none -q");
  ASSERT_EQ(unlabelled.exit_code, 0) << unlabelled.err;
  auto no_label = Fruits("train --features " + ShellQuote(out.File("none/features")) + " -o " +
                         ShellQuote(out.File("c1")) + " --k 4");
  EXPECT_EQ(no_label.exit_code, 1);
  ExpectContains(no_label.err, "has no label");
  ExpectContains(no_label.err, "--label-from parent");
  EXPECT_FALSE(fs::exists(out.File("c1/model.json")));

  // A single label: one label's images in a folder of their own.
  fs::create_directories(out.File("one"));
  fs::copy(Training() + "/Banana", out.File("one/Banana"));
  auto one = Fruits("extract --input " + ShellQuote(out.File("one")) + " --model " +
                    ShellQuote(Model()) + " -o " + ShellQuote(out.File("one_out")) + " -q");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto single = Fruits("train --features " + ShellQuote(out.File("one_out/features")) + " -o " +
                       ShellQuote(out.File("c2")) + " --k 4");
  EXPECT_EQ(single.exit_code, 1);
  ExpectContains(single.err, "a single label ('Banana')");
  ExpectContains(single.err, "at least two labels");

  // Non-finite features.
  const std::vector<std::string> paths = {"x/a1.jpg", "x/a2.jpg", "x/b1.jpg", "x/b2.jpg"};
  const std::vector<std::string> labels = {"a", "a", "b", "b"};
  std::vector<float> x = {1, 2, 3, 4, 2, 1, 4, 3, 5, 6, 7, 8, 6, 5, 8, 7};
  x[9] = std::nanf("");
  WriteFeaturesPart(out.File("nan/part-00000.parquet"), paths, labels, x, 4);
  auto nan = Fruits("train --features " + ShellQuote(out.File("nan")) + " -o " +
                    ShellQuote(out.File("c3")) + " --k 2");
  EXPECT_EQ(nan.exit_code, 1);
  ExpectContains(nan.err, "'x/b1.jpg'");
  ExpectContains(nan.err, "hold NaN or infinity");

  // Flags.
  auto auto_run = Fruits("run --input " + ShellQuote(Training()) + " --model " +
                         ShellQuote(Model()) + " -o " + ShellQuote(out.File("r")) + " --k auto");
  EXPECT_EQ(auto_run.exit_code, 2);
  ExpectContains(auto_run.err, "add --test DIR");
  EXPECT_FALSE(fs::exists(out.File("r/features")));
  auto holdout = Train(out.File("c4"), "--holdout 1.5");
  EXPECT_EQ(holdout.exit_code, 2);
  ExpectContains(holdout.err, "--holdout");
  auto all_rows = Train(out.File("c4"), "--holdout 1");
  EXPECT_EQ(all_rows.exit_code, 2);
  ExpectContains(all_rows.err, "--holdout must be a fraction of the training rows between 0 and 1");
  auto both =
      Train(out.File("c5"), "--validation " + ShellQuote(TestFeatures()) + " --holdout 0.2");
  EXPECT_EQ(both.exit_code, 2);
  ExpectContains(both.err, "--holdout");
  ExpectContains(both.err, "--validation");
  for (const char* k : {"0", "abc"}) {
    auto bad_k = Train(out.File("c6"), std::string("--k ") + k);
    EXPECT_EQ(bad_k.exit_code, 2) << k;
    ExpectContains(bad_k.err, std::string("--k '") + k + "' is not a positive integer");
  }
  EXPECT_FALSE(fs::exists(out.File("c4")) || fs::exists(out.File("c5")) ||
               fs::exists(out.File("c6")));

  // evaluate: no classifier there; features of another model.
  auto missing = Evaluate(out.File("nothing"), TestFeatures(), out.File("e1"));
  EXPECT_EQ(missing.exit_code, 2);
  ExpectContains(missing.err, "fruits train");
  auto trained = Train(out.File("clf"), "--k 4 -q");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  x[9] = 6;
  WriteFeaturesPart(out.File("small/part-00000.parquet"), paths, labels, x, 4);
  auto small = Evaluate(out.File("clf"), out.File("small"), out.File("e2"));
  EXPECT_EQ(small.exit_code, 1);
  ExpectContains(small.err, "holds 4 features per row, the classifier takes 1280");
  EXPECT_FALSE(fs::exists(out.File("e2/metrics.json")));
  // Test features holding NaN: named, not a broken contract deep in the metrics.
  const FeatureRows& real = train_rows_;
  std::vector<float> two(real.x.begin(), real.x.begin() + 2 * real.dim);
  two[real.dim + 7] = std::nanf("");
  WriteFeaturesPart(out.File("nan_test/part-00000.parquet"), {real.paths[0], real.paths[1]},
                    {real.labels[0], real.labels[1]}, two, real.dim);
  auto nan_test = Evaluate(out.File("clf"), out.File("nan_test"), out.File("e3"));
  EXPECT_EQ(nan_test.exit_code, 1);
  ExpectContains(nan_test.err, "'" + real.paths[1] + "'");
  ExpectContains(nan_test.err, "hold NaN or infinity: the classifier cannot use them");
  EXPECT_FALSE(fs::exists(out.File("e3/metrics.json")));
}

TEST_F(ClassifyCli, LabelsAbsentFromTrainingAreCountedAndNamed) {
  TempDir out;
  // The Training rows of two labels, as extracted.
  const FeatureRows& all = train_rows_;
  std::vector<std::string> paths, labels;
  std::vector<float> x;
  for (int64_t r = 0; r < all.rows(); ++r) {
    if (all.labels[r] == "Orange") continue;
    paths.push_back(all.paths[r]);
    labels.push_back(all.labels[r]);
    x.insert(x.end(), all.x.begin() + r * all.dim, all.x.begin() + (r + 1) * all.dim);
  }
  ASSERT_EQ(paths.size(), 24u);
  WriteFeaturesPart(out.File("two/part-00000.parquet"), paths, labels, x, all.dim);
  auto trained = Fruits("train --features " + ShellQuote(out.File("two")) + " -o " +
                        ShellQuote(out.File("clf")) + " --k 6 -q");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  auto evaluated = Evaluate(out.File("clf"), TestFeatures(), out.File("eval"));
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  const json metrics = ReadJson(out.File("eval/metrics.json"));
  EXPECT_EQ(metrics["n"], 8);
  EXPECT_EQ(metrics["labels"], json({"Apple Red 1", "Banana"}));
  EXPECT_EQ(metrics["unknown_labels"], json({{"rows", 4}, {"labels", {{"Orange", 4}}}}));
  EXPECT_EQ(metrics["confusion_matrix"].size(), 2u);
  int64_t counted = 0;
  for (const auto& row : metrics["confusion_matrix"])
    for (const auto& cell : row) counted += cell.get<int64_t>();
  EXPECT_EQ(counted, 8);
  ExpectContains(evaluated.out, "on 8 images");
  ExpectContains(evaluated.out,
                 "4 images have labels the classifier was not trained on (listed in "
                 "metrics.json, counted in no figure)");
  // Their predictions are written all the same.
  int64_t rows = 0;
  for (const std::string& part : Parts(out.File("eval/predictions"))) {
    rows += std::stoll(
        testing::DuckDbRead(part, "SELECT count(*) FROM file")["rows"][0][0].get<std::string>());
  }
  EXPECT_EQ(rows, 12);
}

// --- fruits run --test ------------------------------------------------------------------------

class ClassifyRun : public testing::SampleSetTest {
 protected:
  static void SetUpTestSuite() {
    SampleSetTest::SetUpTestSuite();
    first_ = Fruits(RunArgs());
  }
  static std::string Out() { return dir().File("out"); }
  static std::string RunArgs() {
    return "run --input " + ShellQuote(Training()) + " --test " + ShellQuote(Data() + "/Test") +
           " --model " + ShellQuote(Model()) + " -o " + ShellQuote(Out()) +
           " --k auto --holdout 0.25 --shard-size 10";
  }
  static inline testing::CommandResult first_;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_F(ClassifyRun, WritesWhereTheDocsSayAndEndsWithTheTestAccuracy) {
  ASSERT_EQ(first_.exit_code, 0) << first_.err;
  const std::string out = Out();
  for (const char* path :
       {"features", "errors", "pca", "pca_model/model.json", "test/features", "test/errors",
        "test/pca", "classifier/model.json", "classifier/weights.npy", "classifier/bias.npy",
        "classifier/labels.txt", "classifier/pca_model/components.npy", "evaluation/metrics.json",
        "evaluation/predictions", "manifest.json"}) {
    EXPECT_TRUE(fs::exists(out + "/" + path)) << path;
  }
  EXPECT_EQ(Parts(out + "/evaluation/predictions").size(), Parts(out + "/test/features").size());
  const json metrics = ReadJson(out + "/evaluation/metrics.json");
  EXPECT_EQ(metrics["n"], 12);
  const json manifest = ReadJson(out + "/manifest.json");
  const json classifier = ReadJson(out + "/classifier/model.json");
  EXPECT_EQ(manifest["classifier"]["k"], classifier["k"]);
  EXPECT_EQ(manifest["classifier"]["labels"], 3);
  EXPECT_EQ(manifest["classifier"]["validation"]["rows"], 9);
  EXPECT_EQ(manifest["classifier"]["reused"], false);
  EXPECT_EQ(manifest["evaluation"]["rows"], 12);
  EXPECT_EQ(manifest["evaluation"]["accuracy"], metrics["accuracy"]);
  EXPECT_EQ(manifest["evaluation"]["reused"], false);
  for (const char* step : {"train_moments", "train_project", "train_fit", "evaluate"}) {
    EXPECT_TRUE(manifest["step_seconds"].contains(step)) << manifest["step_seconds"].dump();
  }
  // The run's PCA is the classifier's.
  for (const char* file : {"mean.npy", "components.npy"}) {
    EXPECT_TRUE(Bytes(out + "/pca_model/" + file) == Bytes(out + "/classifier/pca_model/" + file))
        << file << " differs";
  }

  const std::vector<std::string> lines = Lines(first_.out);
  ASSERT_GE(lines.size(), 3u);
  char accuracy[64];
  std::snprintf(accuracy, sizeof accuracy, "test accuracy %.2f%% on 12 images",
                100 * metrics["accuracy"].get<double>());
  bool near_the_end = false;
  for (size_t i = lines.size() >= 4 ? lines.size() - 4 : 0; i < lines.size(); ++i) {
    near_the_end |= lines[i].rfind(accuracy, 0) == 0;
  }
  EXPECT_TRUE(near_the_end) << "'" << accuracy << "' not among the last lines of\n" << first_.out;
  EXPECT_EQ(lines[lines.size() - 2],
            "evaluation: " + out + "/evaluation/metrics.json, " + out + "/evaluation/predictions");
  EXPECT_EQ(lines.back(), "report: " + out + "/report.html");
}

TEST_F(ClassifyRun, ResumedRunRedoesNothingAndGivesTheSameMetrics) {
  ASSERT_EQ(first_.exit_code, 0) << first_.err;
  const std::string out = Out();
  const std::string metrics = Bytes(out + "/evaluation/metrics.json");
  const auto predictions = Identities(out + "/evaluation/predictions");
  const auto classifier = Identities(out + "/classifier");
  ASSERT_FALSE(predictions.empty());
  auto again = Fruits(RunArgs() + " --resume");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Bytes(out + "/evaluation/metrics.json"), metrics);
  EXPECT_EQ(Identities(out + "/evaluation/predictions"), predictions);
  EXPECT_EQ(Identities(out + "/classifier"), classifier);
  const json manifest = ReadJson(out + "/manifest.json");
  EXPECT_EQ(manifest["classifier"]["reused"], true);
  EXPECT_EQ(manifest["evaluation"]["reused"], true);
  ExpectContains(again.err, "resuming: the classifier in '" + out + "/classifier'");
}

TEST_F(ClassifyRun, InspectShowsTheClassifierAndTheTestAccuracy) {
  ASSERT_EQ(first_.exit_code, 0) << first_.err;
  const json metrics = ReadJson(Out() + "/evaluation/metrics.json");
  const json classifier = ReadJson(Out() + "/classifier/model.json");
  auto inspect = Fruits("inspect " + ShellQuote(Out()));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  ExpectContains(inspect.out, "classifier  3 labels on " + classifier["k"].dump() + " components");
  char accuracy[64];
  std::snprintf(accuracy, sizeof accuracy, "test        accuracy %.2f%% on 12 images (top-3 ",
                100 * metrics["accuracy"].get<double>());
  ExpectContains(inspect.out, accuracy);
}

}  // namespace
}  // namespace fruits
