#include "classify/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "support/python_reference.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::classify {
namespace {

using fruits::testing::ShellQuote;
using fruits::testing::TempDir;
using nlohmann::ordered_json;

// Rows of an evaluation: true labels (some possibly unknown to the classifier) and, per row, one
// probability per classifier label.
struct Case {
  std::string name;
  std::vector<std::string> labels;
  int top_k;
  std::vector<std::string> y_true;
  std::vector<double> probabilities;  // y_true.size() x labels.size(), row-major
};

std::vector<double> Softmax(const std::vector<double>& logits) {
  const double top = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t j = 0; j < logits.size(); ++j) sum += p[j] = std::exp(logits[j] - top);
  for (double& v : p) v /= sum;
  return p;
}

struct RowSpec {
  // Labels that are never the true label, and labels whose logit is pushed far down (never
  // predicted).
  std::vector<int> never_true, never_predicted;
  double certain = 0;     // share of rows whose true label is near-certain (p rounds to 1)
  double impossible = 0;  // share of rows whose true label gets p < 1e-15 (clipped)
  std::vector<std::string> unknown;  // labels of extra rows the classifier does not know
};

// n rows of softmax probabilities that lean towards the true label, as a trained classifier's.
Case RandomCase(std::string name, std::vector<std::string> labels, int top_k, int n, uint32_t seed,
                const RowSpec& spec = {}) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  const int k = static_cast<int>(labels.size());
  std::vector<int> truths;
  for (int i = 0; i < k; ++i) {
    if (std::find(spec.never_true.begin(), spec.never_true.end(), i) == spec.never_true.end())
      truths.push_back(i);
  }
  Case c{std::move(name), std::move(labels), top_k, {}, {}};
  for (int r = 0; r < n; ++r) {
    const int truth = truths[rng() % truths.size()];
    std::vector<double> logits(k);
    for (double& v : logits) v = 1.5 * normal(rng);
    const double kind = uniform(rng);
    logits[truth] += kind < spec.certain ? 60 : kind < spec.certain + spec.impossible ? -60 : 1.5;
    for (int j : spec.never_predicted) logits[j] -= 40;
    const std::vector<double> p = Softmax(logits);
    c.y_true.push_back(c.labels[truth]);
    c.probabilities.insert(c.probabilities.end(), p.begin(), p.end());
    if (!spec.unknown.empty() && r % 7 == 3) {
      c.y_true.push_back(spec.unknown[rng() % spec.unknown.size()]);
      c.probabilities.insert(c.probabilities.end(), p.begin(), p.end());
    }
  }
  return c;
}

MetricsAccumulator Accumulate(const Case& c, size_t begin = 0, size_t end = SIZE_MAX) {
  MetricsAccumulator metrics(c.labels, c.top_k);
  const size_t k = c.labels.size();
  end = std::min(end, c.y_true.size());
  for (size_t r = begin; r < end; ++r) {
    const auto at = std::find(c.labels.begin(), c.labels.end(), c.y_true[r]);
    if (at == c.labels.end()) {
      metrics.AddUnknown(c.y_true[r]);
    } else {
      metrics.Add(at - c.labels.begin(), std::span(c.probabilities.data() + r * k, k));
    }
  }
  return metrics;
}

// Walks two metrics.json documents: the same keys in the same order, strings and nulls equal,
// integers exact, other numbers within 1e-12 relative.
void ExpectSameJson(const ordered_json& ours, const ordered_json& expected, const std::string& at) {
  if (expected.is_number_integer()) {
    EXPECT_TRUE(ours.is_number_integer()) << at << ": " << ours.dump();
    EXPECT_EQ(ours, expected) << at;
  } else if (expected.is_number()) {
    ASSERT_TRUE(ours.is_number()) << at << ": " << ours.dump();
    const double a = ours.get<double>(), b = expected.get<double>();
    EXPECT_LE(std::abs(a - b), 1e-12 * std::max(std::abs(a), std::abs(b)))
        << at << ": " << a << " vs scikit-learn's " << b;
  } else if (expected.is_object()) {
    ASSERT_TRUE(ours.is_object()) << at;
    std::vector<std::string> our_keys, expected_keys;
    for (const auto& item : ours.items()) our_keys.push_back(item.key());
    for (const auto& item : expected.items()) expected_keys.push_back(item.key());
    ASSERT_EQ(our_keys, expected_keys) << at;
    for (const auto& item : expected.items())
      ExpectSameJson(ours[item.key()], item.value(), at + "." + item.key());
  } else if (expected.is_array()) {
    ASSERT_TRUE(ours.is_array()) << at;
    ASSERT_EQ(ours.size(), expected.size()) << at;
    for (size_t i = 0; i < expected.size(); ++i)
      ExpectSameJson(ours[i], expected[i], at + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(ours, expected) << at;
  }
}

// Rows whose top probability lies exactly on a calibration bin edge, or is exactly 1, and whose
// true label gets probability 0 or 1 (clipped in the log-loss). No tie straddles the top-k
// boundary: scikit-learn ranks tied labels by descending index, fruits by ascending (as argmax).
void AddEdgeRows(Case& c) {
  const std::vector<std::pair<std::string, std::vector<double>>> rows = {
      {"apple", {0.4, 0.35, 0.25}},                             // 6/15
      {"pear", {0.4, 0.35, 0.25}},  {"plum", {0.2, 0.2, 0.6}},  // 9/15
      {"apple", {1.0, 0.0, 0.0}},   {"plum", {0.0, 0.0, 1.0}},
      {"apple", {0.0, 0.6, 0.4}},   {"pear", {0.6, 0.4, 0.0}},
  };
  for (const auto& [label, p] : rows) {
    c.y_true.push_back(label);
    c.probabilities.insert(c.probabilities.end(), p.begin(), p.end());
  }
}

std::vector<std::string> Numbered(const std::string& prefix, int k) {
  std::vector<std::string> labels;
  for (int i = 0; i < k; ++i) labels.push_back(prefix + std::to_string(i));
  return labels;
}

// scikit-learn computes every case's metrics.json once for the suite
// (tests/references/sklearn_metrics.py).
class SklearnMetrics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    cases_ = new std::vector<Case>();
    Case three = RandomCase("three_labels", {"apple", "pear", "plum"}, 2, 300, 1);
    AddEdgeRows(three);
    cases_->push_back(std::move(three));
    // "fig" (4) is neither true nor predicted: outside the macro average's label set; "kiwi"
    // (5) is predicted but never true; "lime" (6) true but never predicted.
    cases_->push_back(RandomCase("seven_labels",
                                 {"pear", "apple", "quince", "banana", "fig", "kiwi", "lime"}, 3,
                                 500, 2, {.never_true = {4, 5}, .never_predicted = {4, 6}}));
    cases_->push_back(RandomCase("forty_labels", Numbered("fruit_", 40), 5, 2000, 3,
                                 {.certain = 0.15, .impossible = 0.05}));
    cases_->push_back(RandomCase("unknown_labels", Numbered("label_", 5), 3, 400, 4,
                                 {.unknown = {"kiwi", "", "dragon fruit"}}));
    // top_k above the number of labels: capped.
    cases_->push_back(RandomCase("top_k_capped", {"a", "b", "c", "d"}, 9, 100, 5));

    ordered_json cases = ordered_json::array();
    for (const Case& c : *cases_) {
      const std::string file = dir_->File(c.name + ".f64");
      std::ofstream(file, std::ios::binary)
          .write(reinterpret_cast<const char*>(c.probabilities.data()),
                 static_cast<std::streamsize>(c.probabilities.size() * sizeof(double)));
      cases.push_back({{"name", c.name},
                       {"labels", c.labels},
                       {"top_k", c.top_k},
                       {"y_true", c.y_true},
                       {"probabilities", file}});
    }
    std::ofstream(dir_->File("cases.json")) << cases.dump();
    sklearn_ = new testing::CommandResult(testing::RunPythonReference(
        "sklearn_metrics.py",
        ShellQuote(dir_->File("cases.json")) + " " + ShellQuote(dir_->path().string())));
  }
  static void TearDownTestSuite() {
    delete sklearn_;
    delete cases_;
    delete dir_;
  }
  void SetUp() override { ASSERT_EQ(sklearn_->exit_code, 0) << sklearn_->err; }

  static void Compare(const std::string& name) {
    const Case& c = *std::find_if(cases_->begin(), cases_->end(),
                                  [&name](const Case& each) { return each.name == name; });
    std::ifstream in(dir_->File(name + ".json"));
    const ordered_json expected = ordered_json::parse(in);
    ExpectSameJson(Accumulate(c).ToJson(), expected, name);
  }

  static TempDir* dir_;
  static std::vector<Case>* cases_;
  static testing::CommandResult* sklearn_;
};

TempDir* SklearnMetrics::dir_ = nullptr;
std::vector<Case>* SklearnMetrics::cases_ = nullptr;
testing::CommandResult* SklearnMetrics::sklearn_ = nullptr;

TEST_F(SklearnMetrics, ThreeLabelsWithRowsOnBinEdges) { Compare("three_labels"); }

TEST_F(SklearnMetrics, LabelsNeverPredictedOrWithoutSupport) { Compare("seven_labels"); }

TEST_F(SklearnMetrics, FortyLabelsWithClippedProbabilities) { Compare("forty_labels"); }

TEST_F(SklearnMetrics, UnknownLabelsCountedApart) { Compare("unknown_labels"); }

TEST_F(SklearnMetrics, TopKCappedAtTheLabelCount) { Compare("top_k_capped"); }

// The checks below need no reference.

TEST(MetricsAccumulatorTest, MergedPartsEqualOneAccumulatorExactly) {
  const Case c = RandomCase("parts", Numbered("l", 6), 2, 3000, 7,
                            {.certain = 0.1, .impossible = 0.05, .unknown = {"x", "y"}});
  const MetricsAccumulator whole = Accumulate(c);
  const size_t cuts[] = {0, 17, 1100, 1101, 2600, c.y_true.size()};
  std::vector<MetricsAccumulator> parts;
  for (int i = 0; i < 5; ++i) parts.push_back(Accumulate(c, cuts[i], cuts[i + 1]));
  MetricsAccumulator merged = parts[3];
  for (int i : {1, 4, 0, 2}) merged.Merge(parts[i]);
  EXPECT_EQ(merged.rows(), whole.rows());
  EXPECT_EQ(merged.unknown_rows(), whole.unknown_rows());
  EXPECT_EQ(merged.ToJson().dump(), whole.ToJson().dump());
  EXPECT_EQ(merged.Serialize(), whole.Serialize());
}

TEST(MetricsAccumulatorTest, SerializeRoundTrips) {
  const Case c = RandomCase("bytes", Numbered("l", 4), 2, 200, 8, {.unknown = {"x", ""}});
  const MetricsAccumulator metrics = Accumulate(c);
  const std::string bytes = metrics.Serialize();
  const MetricsAccumulator restored = MetricsAccumulator::Deserialize(bytes);
  EXPECT_EQ(restored.labels(), metrics.labels());
  EXPECT_EQ(restored.top_k(), 2);
  EXPECT_EQ(restored.Serialize(), bytes);
  EXPECT_EQ(restored.ToJson().dump(), metrics.ToJson().dump());

  const MetricsAccumulator empty({"only"}, 1);
  EXPECT_EQ(MetricsAccumulator::Deserialize(empty.Serialize()).ToJson(), empty.ToJson());
}

// Corrupt bytes are the user's problem (a mismatched build, a damaged file): fruits::Error, never
// an InternalError, a crash or a huge allocation.
void ExpectCorrupt(std::string_view bytes, const std::string& what) {
  try {
    MetricsAccumulator::Deserialize(bytes);
    ADD_FAILURE() << what << ": accepted";
  } catch (const InternalError& e) {
    ADD_FAILURE() << what << ": " << e.what();
  } catch (const Error&) {
  }
}

void PutU64(std::string& bytes, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes[at + i] = static_cast<char>(value >> (8 * i));
}

TEST(MetricsAccumulatorTest, CorruptBytesThrowError) {
  const Case c = RandomCase("bytes", {"ab", "c"}, 1, 30, 9, {.unknown = {"x"}});
  const std::string bytes = Accumulate(c).Serialize();
  for (size_t size = 0; size < bytes.size(); ++size)
    ExpectCorrupt(bytes.substr(0, size), "truncated to " + std::to_string(size));
  ExpectCorrupt(bytes + '\0', "a byte too many");
  ExpectCorrupt("FRUITSMO" + bytes.substr(8), "another magic");
  ExpectCorrupt(std::string(200, '\xff'), "garbage");

  // Fields at fixed offsets: version 8, top_k 16, K 24, then the labels "ab" and "c" (8 + 2 and
  // 8 + 1 bytes), rows at 51.
  const std::pair<size_t, uint64_t> edits[] = {
      {8, 2}, {16, 0}, {24, 0}, {24, uint64_t{1} << 40}, {24, 3}, {51, 31}, {51, ~uint64_t{0}}};
  for (const auto& [at, value] : edits) {
    std::string edited = bytes;
    PutU64(edited, at, value);
    ExpectCorrupt(edited, "field at " + std::to_string(at) + " = " + std::to_string(value));
  }
  // The offsets above are those of this layout: rows really is at 51.
  std::string same = bytes;
  PutU64(same, 51, 30);
  EXPECT_EQ(MetricsAccumulator::Deserialize(same).rows(), 30);
}

TEST(MetricsAccumulatorTest, UnknownLabelsAreCountedAndNamed) {
  MetricsAccumulator metrics({"apple", "pear"}, 1);
  metrics.AddUnknown("kiwi");
  metrics.AddUnknown("");
  metrics.AddUnknown("kiwi");
  const double row[] = {0.7, 0.3};
  metrics.Add(1, row);
  EXPECT_EQ(metrics.rows(), 1);
  EXPECT_EQ(metrics.unknown_rows(), 3);
  const ordered_json json = metrics.ToJson();
  EXPECT_EQ(json["n"], 1);
  EXPECT_EQ(json["accuracy"], 0.0);
  EXPECT_EQ(json["unknown_labels"].dump(), R"({"rows":3,"labels":{"":1,"kiwi":2}})");
}

TEST(MetricsAccumulatorTest, MostConfusedByCountThenTrueThenPredicted) {
  // 5 labels: the row "t p" is one row of true label t predicted as p.
  MetricsAccumulator metrics(Numbered("l", 5), 1);
  const auto add = [&metrics](int truth, int predicted, int times) {
    std::vector<double> p(5, 0.05);
    p[predicted] = 0.8;
    for (int i = 0; i < times; ++i) metrics.Add(truth, p);
  };
  add(0, 0, 5);
  add(3, 1, 4);  // 4
  add(1, 2, 2);  // 2, true 1
  add(0, 4, 2);  // 2, true 0, predicted 4
  add(0, 3, 2);  // 2, true 0, predicted 3
  // Seven more cells of one row each, of which the listing keeps the first six.
  for (int t : {4, 2}) {
    for (int p : {0, 1, 3, 4}) {
      if (p != t) add(t, p, 1);
    }
  }
  const ordered_json listed = metrics.ToJson()["most_confused"];
  ASSERT_EQ(listed.size(), static_cast<size_t>(kMostConfusedPairs));
  std::vector<std::string> order;
  for (const auto& cell : listed)
    order.push_back(cell["true"].get<std::string>() + ">" + cell["predicted"].get<std::string>() +
                    ":" + std::to_string(cell["count"].get<int>()));
  EXPECT_EQ(order,
            (std::vector<std::string>{"l3>l1:4", "l0>l3:2", "l0>l4:2", "l1>l2:2", "l2>l0:1",
                                      "l2>l1:1", "l2>l3:1", "l2>l4:1", "l4>l0:1", "l4>l1:1"}));
  // Label 0 has 9 rows, label 3 has 4.
  EXPECT_DOUBLE_EQ(listed[1]["share_of_true"].get<double>(), 2.0 / 9);
  EXPECT_DOUBLE_EQ(listed[0]["share_of_true"].get<double>(), 1.0);
}

TEST(MetricsAccumulatorTest, NoKnownRowGivesNullRatios) {
  MetricsAccumulator metrics({"apple", "pear"}, 3);
  metrics.AddUnknown("kiwi");
  const ordered_json json = metrics.ToJson();
  EXPECT_EQ(json["n"], 0);
  EXPECT_EQ(json["top_k"], 2);
  for (const char* key : {"accuracy", "top_k_accuracy", "log_loss"})
    EXPECT_TRUE(json[key].is_null()) << key;
  for (const char* average : {"macro", "weighted"}) {
    for (const char* key : {"precision", "recall", "f1"})
      EXPECT_TRUE(json[average][key].is_null()) << average << "." << key;
  }
  for (const auto& label : json["per_label"]) {
    EXPECT_TRUE(label["precision"].is_null() && label["recall"].is_null() && label["f1"].is_null());
    EXPECT_EQ(label["support"], 0);
  }
  EXPECT_EQ(json["confusion_matrix"].dump(), "[[0,0],[0,0]]");
  EXPECT_TRUE(json["most_confused"].empty());
  EXPECT_TRUE(json["calibration"]["expected_calibration_error"].is_null());
  ASSERT_EQ(json["calibration"]["per_bin"].size(), static_cast<size_t>(kCalibrationBins));
  for (const auto& bin : json["calibration"]["per_bin"]) {
    EXPECT_EQ(bin["count"], 0);
    EXPECT_TRUE(bin["confidence"].is_null() && bin["accuracy"].is_null());
  }
  EXPECT_EQ(json["unknown_labels"]["rows"], 1);
}

TEST(MetricsAccumulatorTest, CalibrationBinsAreOpenBelowClosedAbove) {
  MetricsAccumulator metrics({"a", "b"}, 1);
  const double on_edge = 8.0 / 15;  // the upper edge of bin 7
  const double rows[][2] = {{on_edge, 1 - on_edge},
                            {std::nextafter(on_edge, 1.0), 1 - on_edge},
                            {0.6, 0.4},  // 9/15: the upper edge of bin 8
                            {11.0 / 15, 4.0 / 15},
                            // 15 times this rounds to 11 exactly: ceil(15 c) - 1 alone says 10.
                            {std::nextafter(11.0 / 15, 1.0), 4.0 / 15},
                            {1.0, 0.0}};
  for (const auto& row : rows) metrics.Add(0, row);
  const ordered_json bins = metrics.ToJson()["calibration"]["per_bin"];
  std::vector<int64_t> counts;
  for (const auto& bin : bins) counts.push_back(bin["count"].get<int64_t>());
  EXPECT_EQ(counts, (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 1, 1, 0, 0, 1}));
  EXPECT_EQ(bins[7]["upper"].get<double>(), on_edge);
  EXPECT_EQ(bins[14]["upper"].get<double>(), 1.0);
  EXPECT_EQ(bins[14]["confidence"].get<double>(), 1.0);
}

TEST(MetricsAccumulatorTest, TiesGoToTheLowerIndex) {
  MetricsAccumulator metrics({"a", "b", "c"}, 2);
  const double tie[] = {0.25, 0.375, 0.375};
  metrics.Add(2, tie);  // predicted b: a miss at top-1, a hit at top-2
  metrics.Add(1, tie);  // predicted b
  const double three_way[] = {0.25, 0.25, 0.5};
  metrics.Add(1, three_way);  // c, then a: b is third
  const ordered_json json = metrics.ToJson();
  EXPECT_EQ(json["confusion_matrix"].dump(), "[[0,0,0],[0,1,1],[0,1,0]]");
  EXPECT_EQ(json["top_k_accuracy"].get<double>(), 2.0 / 3);
}

TEST(MetricsAccumulatorTest, BrokenRequiresThrowInternalError) {
  EXPECT_THROW(MetricsAccumulator({}, 1), InternalError);
  EXPECT_THROW(MetricsAccumulator({"a"}, 0), InternalError);
  MetricsAccumulator metrics({"a", "b"}, 1);
  const double row[] = {0.5, 0.5};
  EXPECT_THROW(metrics.Add(-1, row), InternalError);
  EXPECT_THROW(metrics.Add(2, row), InternalError);
  const double three[] = {0.2, 0.3, 0.5};
  EXPECT_THROW(metrics.Add(0, three), InternalError);
  const double nan[] = {std::numeric_limits<double>::quiet_NaN(), 0.5};
  EXPECT_THROW(metrics.Add(0, nan), InternalError);
  const double above_one[] = {1.5, -0.5};
  EXPECT_THROW(metrics.Add(0, above_one), InternalError);
  EXPECT_EQ(metrics.rows(), 0);
  EXPECT_THROW(metrics.Merge(MetricsAccumulator({"a", "c"}, 1)), InternalError);
  EXPECT_THROW(metrics.Merge(MetricsAccumulator({"a", "b"}, 2)), InternalError);
}

}  // namespace
}  // namespace fruits::classify
