// The softmax regression against scikit-learn's LogisticRegression (/usr/bin/python3).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "classify/classify_test_data.h"
#include "classify/softmax_regression.h"
#include "support/python_reference.h"
#include "support/read_file.h"
#include "support/temp_dir.h"

namespace fruits::classify {
namespace {

using fruits::testing::ShellQuote;
using fruits::testing::TempDir;

template <typename T>
void WriteRaw(const std::string& path, const std::vector<T>& values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(T)));
}

RowsView View(const LabelledRows& data, int64_t k) { return {data.x.data(), data.n, k, data.d}; }

// Against scikit-learn's LogisticRegression(max_iter=10000, tol=1e-8) on the same float32 rows:
// the objective at convergence within 1e-4 relative (both computed by numpy in float64), the
// test predictions equal on >= 99.5% of rows, the test accuracy within 0.2 points.
TEST(SoftmaxVsSklearn, SameOptimumAndPredictions) {
  struct Case {
    std::string name;
    int64_t n, d, labels;
    double separation;
    int64_t k;
    double c;
  };
  const std::vector<Case> cases = {{"few_labels_k3", 3000, 16, 5, 1.0, 3, 1.0},
                                   {"few_labels_k16", 3000, 16, 5, 1.0, 16, 1.0},
                                   {"strong_l2", 3000, 16, 5, 1.0, 8, 0.01},
                                   {"separable_weak_l2", 2000, 10, 4, 4.0, 10, 100.0},
                                   {"many_labels", 6000, 40, 30, 0.8, 24, 1.0}};
  TempDir dir;
  nlohmann::json spec;
  std::map<std::string, double> reported;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const LabelledRows train = GaussianClasses(c.n, c.d, c.labels, c.separation, 100 + i);
    // Same means (same seed), other rows: the test set of the same classes.
    LabelledRows test = GaussianClasses(c.n + c.n / 2, c.d, c.labels, c.separation, 100 + i);
    test.x.erase(test.x.begin(), test.x.begin() + c.n * c.d);
    test.y.erase(test.y.begin(), test.y.begin() + c.n);
    test.n = c.n / 2;
    SoftmaxOptions options;
    options.c = c.c;
    options.tolerance = 1e-8;  // at convergence, as the reference
    const SoftmaxFit fit = SoftmaxRegression::Fit(View(train, c.k), train.y, c.labels, options);
    reported[c.name] = fit.objective;
    const std::string base = dir.File(c.name);
    WriteRaw(base + ".train", train.x);
    WriteRaw(base + ".test", test.x);
    WriteRaw(base + ".train_labels", train.y);
    WriteRaw(base + ".test_labels", test.y);
    WriteRaw(base + ".weights", fit.model.weights());
    WriteRaw(base + ".bias", fit.model.bias());
    spec["cases"].push_back({{"name", c.name},
                             {"train", base + ".train"},
                             {"test", base + ".test"},
                             {"n", c.n},
                             {"n_test", test.n},
                             {"d", c.d},
                             {"train_labels", base + ".train_labels"},
                             {"test_labels", base + ".test_labels"},
                             {"k", c.k},
                             {"C", c.c},
                             {"ours", {{"weights", base + ".weights"}, {"bias", base + ".bias"}}}});
  }
  std::ofstream(dir.File("cases.json")) << spec.dump();
  const auto result = fruits::testing::RunPythonReference(
      "sklearn_logistic.py",
      ShellQuote(dir.File("cases.json")) + " " + ShellQuote(dir.File("out.json")));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json out = nlohmann::json::parse(fruits::testing::ReadFile(dir.File("out.json")));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const nlohmann::json& r = out.at(c.name);
    const double sklearn = r.at("sklearn_objective").get<double>();
    const double ours = r.at("ours_objective").get<double>();
    EXPECT_NEAR(ours, sklearn, 1e-4 * sklearn);
    // What our code reports (float32 logits) is what numpy computes for our model (float64).
    EXPECT_NEAR(reported[c.name], ours, 1e-5 * ours);
    EXPECT_GE(r.at("same_prediction").get<double>(), 0.995);
    EXPECT_NEAR(r.at("ours_test_accuracy").get<double>(),
                r.at("sklearn_test_accuracy").get<double>(), 0.002);
  }
}

}  // namespace
}  // namespace fruits::classify
