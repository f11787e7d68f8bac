#include "pca/pca_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pca/npy.h"
#include "storage/local_store.h"
#include "support/float_file.h"
#include "support/python_reference.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::pca {
namespace {

using fruits::testing::RunCommand;
using fruits::testing::ShellQuote;
using fruits::testing::TempDir;

struct Dataset {
  int64_t n;
  int64_t d;
  std::vector<float> rows;
};

// CNN-like features: `factors` latent factors plus noise, non-negative (after a ReLU), shifted
// by `offset`.
Dataset Correlated(int64_t n, int64_t d, uint32_t seed, float offset = 0, int factors = 6) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> loadings(factors * d);
  for (float& w : loadings) w = normal(rng);
  Dataset data{n, d, std::vector<float>(n * d)};
  std::vector<float> z(factors);
  for (int64_t r = 0; r < n; ++r) {
    for (float& v : z) v = normal(rng);
    for (int64_t j = 0; j < d; ++j) {
      float x = 0.5f + 0.3f * normal(rng);
      for (int f = 0; f < factors; ++f) x += 0.5f * loadings[f * d + j] * z[f];
      data.rows[r * d + j] = std::max(x, 0.0f) + offset;
    }
  }
  return data;
}

// 12 independent-ish columns, then 36 that are each a multiple of one of them plus a little
// noise of its own size: eigenvalues spread over eight orders of magnitude.
Dataset NearlyCollinear() {
  const Dataset base = Correlated(3000, 12, 21, 0, 12);
  std::mt19937 rng(22);
  std::normal_distribution<float> normal;
  Dataset data{3000, 48, std::vector<float>(3000 * 48)};
  for (int64_t r = 0; r < data.n; ++r) {
    for (int64_t j = 0; j < data.d; ++j) {
      const float source = base.rows[r * 12 + j % 12];
      data.rows[r * data.d + j] =
          j < 12 ? source : source * (0.5f + j / 48.0f) + 1e-3f * (1 + j / 12) * normal(rng);
    }
  }
  return data;
}

Moments MomentsOf(const Dataset& data, int64_t begin = 0, int64_t end = -1) {
  if (end < 0) end = data.n;
  Moments moments(data.d);
  for (int64_t start = begin; start < end; start += 1000) {
    moments.Add(data.rows.data() + start * data.d, std::min<int64_t>(1000, end - start));
  }
  return moments;
}

std::vector<double> ReadDoubles(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<double> values(bytes.size() / 8);
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * 8);
  return values;
}

struct SklearnFit {
  int64_t k = 0;
  std::vector<double> mean, components, explained_variance, ratio, transform, cumulative;
};

struct Case {
  const char* name;
  const char* data;
  double n_components;  // an integer k, or a fraction of the variance
  bool whiten = false;
};

const Case kCases[] = {
    {"correlated_k70", "correlated", 70},   {"offset_k20", "offset", 20},
    {"collinear_k24", "collinear", 24},     {"few_rows_k39", "few_rows", 39},
    {"whiten_k30", "correlated", 30, true}, {"variance_0.5", "correlated", 0.5},
    {"variance_0.8", "correlated", 0.8},    {"variance_0.9", "correlated", 0.9},
    {"variance_0.95", "correlated", 0.95},  {"variance_0.99", "correlated", 0.99},
};

// scikit-learn fits every case once for the suite (tests/references/sklearn_pca.py).
class SklearnComparison : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    data_ = new std::map<std::string, Dataset>{
        {"correlated", Correlated(3000, 256, 11)},
        {"offset", Correlated(3000, 256, 11, 1e4f)},
        {"collinear", NearlyCollinear()},
        {"few_rows", Correlated(40, 256, 12)},
    };
    std::string cases = "{\"data\": {";
    for (const auto& [name, data] : *data_) {
      const std::string file = dir_->File(name + ".f32");
      testing::WriteFloats(file, data.rows.data(), data.rows.size());
      cases += (name == data_->begin()->first ? "\"" : ", \"") + name + "\": {\"file\": \"" + file +
               "\", \"n\": " + std::to_string(data.n) + ", \"d\": " + std::to_string(data.d) + "}";
    }
    cases += "}, \"fits\": [";
    for (const Case& c : kCases) {
      char n_components[32];
      std::snprintf(n_components, sizeof(n_components), c.n_components < 1 ? "%.17g" : "%.0f",
                    c.n_components);
      cases += std::string(&c == kCases ? "" : ", ") + "{\"name\": \"" + c.name +
               "\", \"data\": \"" + c.data + "\", \"n_components\": " + n_components +
               ", \"whiten\": " + (c.whiten ? "true" : "false") + "}";
    }
    std::ofstream(dir_->File("cases.json")) << cases << "]}";
    sklearn_ = new testing::CommandResult(testing::RunPythonReference(
        "sklearn_pca.py",
        ShellQuote(dir_->File("cases.json")) + " " + ShellQuote(dir_->path().string())));
  }
  static void TearDownTestSuite() {
    delete sklearn_;
    delete data_;
    delete dir_;
  }
  void SetUp() override { ASSERT_EQ(sklearn_->exit_code, 0) << sklearn_->err; }

  static const Dataset& Data(const std::string& name) { return data_->at(name); }

  static SklearnFit Reference(const std::string& name) {
    SklearnFit fit;
    std::ifstream json(dir_->File(name + ".json"));
    std::string text((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
    fit.k = std::stoll(text.substr(text.find("\"k\": ") + 5));
    const std::string prefix = dir_->File(name);
    fit.mean = ReadDoubles(prefix + ".mean");
    fit.components = ReadDoubles(prefix + ".components");
    fit.explained_variance = ReadDoubles(prefix + ".explained_variance");
    fit.ratio = ReadDoubles(prefix + ".explained_variance_ratio");
    fit.transform = ReadDoubles(prefix + ".transform");
    fit.cumulative = ReadDoubles(prefix + ".cumulative");
    return fit;
  }

  static TempDir* dir_;
  static std::map<std::string, Dataset>* data_;
  static testing::CommandResult* sklearn_;
};

TempDir* SklearnComparison::dir_ = nullptr;
std::map<std::string, Dataset>* SklearnComparison::data_ = nullptr;
testing::CommandResult* SklearnComparison::sklearn_ = nullptr;

// Compares a model with scikit-learn's fit of the same data: components up to sign within
// 1e-6, explained variance (ratios) within 1e-9, projections within 1e-5 of their scale.
void ExpectMatches(const std::string& name, const PcaModel& model, const Dataset& data,
                   const SklearnFit& reference) {
  const int64_t d = data.d;
  const int64_t k = reference.k;
  ASSERT_EQ(model.d_out(), k);
  ASSERT_EQ(reference.components.size(), static_cast<size_t>(k * d));
  ASSERT_EQ(reference.transform.size(), static_cast<size_t>(data.n * k));

  double mean_error = 0, mean_scale = 0;
  for (int64_t j = 0; j < d; ++j) {
    mean_error = std::max(mean_error, std::abs(model.mean()[j] - reference.mean[j]));
    mean_scale = std::max(mean_scale, std::abs(reference.mean[j]));
  }
  EXPECT_LE(mean_error, 1e-12 * mean_scale);

  std::vector<double> sign(k);
  double component_error = 0, variance_error = 0, ratio_error = 0;
  const std::vector<double> ratio = model.ExplainedVarianceRatio();
  for (int64_t i = 0; i < k; ++i) {
    const double* ours = model.components().data() + i * d;
    const double* theirs = reference.components.data() + i * d;
    double dot = 0;
    for (int64_t j = 0; j < d; ++j) dot += ours[j] * theirs[j];
    sign[i] = dot < 0 ? -1 : 1;
    for (int64_t j = 0; j < d; ++j) {
      component_error = std::max(component_error, std::abs(ours[j] - sign[i] * theirs[j]));
    }
    variance_error = std::max(
        variance_error, std::abs(model.explained_variance()[i] - reference.explained_variance[i]) /
                            reference.explained_variance[i]);
    ratio_error = std::max(ratio_error, std::abs(ratio[i] - reference.ratio[i]));
  }
  EXPECT_LE(component_error, 1e-6);
  EXPECT_LE(variance_error, 1e-9);
  EXPECT_LE(ratio_error, 1e-9);

  std::vector<float> projected(data.n * k);
  model.Apply(data.rows.data(), data.n, projected.data());
  double projection_error = 0, scale = 0;
  for (int64_t r = 0; r < data.n; ++r) {
    for (int64_t i = 0; i < k; ++i) {
      const double theirs = sign[i] * reference.transform[r * k + i];
      projection_error = std::max(projection_error, std::abs(projected[r * k + i] - theirs));
      scale = std::max(scale, std::abs(theirs));
    }
  }
  EXPECT_LE(projection_error, 1e-5 * scale);
  std::printf(
      "[  sklearn ] %s: k %lld, components %.1e, explained variance %.1e (relative), "
      "ratio %.1e, projections %.1e (relative to max %.3g)\n",
      name.c_str(), static_cast<long long>(k), component_error, variance_error, ratio_error,
      projection_error / scale, scale);
}

TEST_F(SklearnComparison, CorrelatedFeatures) {
  const PcaModel model = PcaModel::Fit(MomentsOf(Data("correlated")), {.k = 70});
  ExpectMatches("correlated", model, Data("correlated"), Reference("correlated_k70"));
}

TEST_F(SklearnComparison, LargeMeanOffset) {
  const PcaModel model = PcaModel::Fit(MomentsOf(Data("offset")), {.k = 20});
  EXPECT_NEAR(model.mean()[0], 1e4, 10);
  ExpectMatches("offset 1e4", model, Data("offset"), Reference("offset_k20"));
}

TEST_F(SklearnComparison, NearlyCollinearColumns) {
  const PcaModel model = PcaModel::Fit(MomentsOf(Data("collinear")), {.k = 24});
  // The twelfth and thirteenth variances are orders of magnitude apart: a hard case.
  EXPECT_GT(model.explained_variance()[11], 1e4 * model.explained_variance()[12]);
  ExpectMatches("nearly collinear", model, Data("collinear"), Reference("collinear_k24"));
}

TEST_F(SklearnComparison, FewerRowsThanDimensions) {
  ::testing::internal::CaptureStderr();
  const PcaModel model = PcaModel::Fit(MomentsOf(Data("few_rows")), {.k = 70});
  const std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find("k = 70 asked, but 40 rows give at most 39 components: keeping 39"),
            std::string::npos)
      << warning;
  EXPECT_EQ(model.k_reason(), "k = 39 (--k 70, capped: 40 rows give at most 39 components)");
  ExpectMatches("40 rows x 256", model, Data("few_rows"), Reference("few_rows_k39"));
}

TEST_F(SklearnComparison, Whitening) {
  const PcaModel model = PcaModel::Fit(MomentsOf(Data("correlated")), {.k = 30, .whiten = true});
  EXPECT_TRUE(model.whiten());
  ExpectMatches("whiten", model, Data("correlated"), Reference("whiten_k30"));
}

TEST_F(SklearnComparison, VarianceChoosesTheSameK) {
  const Moments moments = MomentsOf(Data("correlated"));
  std::vector<int64_t> ks;
  for (double variance : {0.5, 0.8, 0.9, 0.95, 0.99}) {
    char name[32];
    std::snprintf(name, sizeof(name), "variance_%g", variance);
    const SklearnFit reference = Reference(name);
    // A threshold within rounding of a cumulative ratio would make the comparison a coin toss.
    for (int64_t i = std::max<int64_t>(0, reference.k - 2); i < reference.k; ++i) {
      ASSERT_GT(std::abs(reference.cumulative[i] - variance), 1e-9) << name;
    }
    const PcaModel model = PcaModel::Fit(moments, {.variance = variance});
    EXPECT_EQ(model.d_out(), reference.k) << name;
    EXPECT_GE(model.VarianceKept(), variance);
    ks.push_back(reference.k);
  }
  // The thresholds do pick different k.
  EXPECT_EQ(std::set<int64_t>(ks.begin(), ks.end()).size(), ks.size());
  std::printf("[  sklearn ] variance 0.5 0.8 0.9 0.95 0.99 -> k %lld %lld %lld %lld %lld\n",
              static_cast<long long>(ks[0]), static_cast<long long>(ks[1]),
              static_cast<long long>(ks[2]), static_cast<long long>(ks[3]),
              static_cast<long long>(ks[4]));
}

// The largest relative difference between two models' explained variances and components.
double ModelDifference(const PcaModel& a, const PcaModel& b) {
  EXPECT_EQ(a.d_out(), b.d_out());
  double difference = 0;
  for (size_t i = 0; i < a.explained_variance().size(); ++i) {
    difference =
        std::max(difference, std::abs(a.explained_variance()[i] - b.explained_variance()[i]) /
                                 a.explained_variance()[0]);
  }
  for (size_t i = 0; i < a.components().size(); ++i) {
    difference = std::max(difference, std::abs(a.components()[i] - b.components()[i]));
  }
  for (size_t i = 0; i < a.mean().size(); ++i) {
    difference = std::max(difference, std::abs(a.mean()[i] - b.mean()[i]) / std::abs(b.mean()[i]));
  }
  return difference;
}

TEST(PcaModel, MergedPartialsGiveTheSameModel) {
  const Dataset data = Correlated(5000, 128, 31, 50.0f);
  const PcaModel single = PcaModel::Fit(MomentsOf(data), {.k = 40});
  for (const std::vector<int64_t>& splits :
       std::vector<std::vector<int64_t>>{{5000}, {1234, 3766}, {1, 999, 1500, 7, 993, 1000, 500}}) {
    Moments merged(data.d);
    int64_t start = 0;
    for (int64_t rows : splits) {
      ASSERT_LE(start + rows, data.n);
      merged.Merge(MomentsOf(data, start, start + rows));
      start += rows;
    }
    ASSERT_EQ(start, data.n);
    const PcaModel model = PcaModel::Fit(merged, {.k = 40});
    EXPECT_LT(ModelDifference(model, single), 1e-9) << splits.size() << " partials";
  }
}

TEST(PcaModel, ComponentsAreSortedOrthonormalAndSigned) {
  const Dataset data = Correlated(2000, 64, 32);
  const PcaModel model = PcaModel::Fit(MomentsOf(data), {.k = 64});
  const int64_t d = 64;
  for (int64_t i = 0; i < d; ++i) {
    const double* c = model.components().data() + i * d;
    if (i > 0) {
      EXPECT_GE(model.explained_variance()[i - 1], model.explained_variance()[i]);
    }
    const auto largest =
        std::max_element(c, c + d, [](double x, double y) { return std::abs(x) < std::abs(y); });
    EXPECT_GT(*largest, 0) << "component " << i;
    for (int64_t j = 0; j <= i; ++j) {
      double dot = 0;
      for (int64_t m = 0; m < d; ++m) dot += c[m] * model.components()[j * d + m];
      EXPECT_NEAR(dot, i == j ? 1 : 0, 1e-12);
    }
  }
  EXPECT_NEAR(model.VarianceKept(), 1, 1e-12);
  // Two fits of the same data agree bit for bit.
  const PcaModel again = PcaModel::Fit(MomentsOf(data), {.k = 64});
  EXPECT_EQ(again.components(), model.components());
  EXPECT_EQ(again.explained_variance(), model.explained_variance());
}

TEST(PcaModel, KReasons) {
  const Moments moments = MomentsOf(Correlated(500, 32, 33));
  EXPECT_EQ(PcaModel::Fit(moments, {.k = 7}).k_reason(), "k = 7 (--k)");
  const PcaModel model = PcaModel::Fit(moments, {.variance = 0.95});
  EXPECT_EQ(model.k_reason(), "k = " + std::to_string(model.d_out()) +
                                  ", the smallest keeping 95.0% of the variance (--variance 0.95)");
  const PcaModel precise = PcaModel::Fit(moments, {.variance = 0.9999});
  EXPECT_NE(precise.k_reason().find("99.99% of the variance (--variance 0.9999)"),
            std::string::npos)
      << precise.k_reason();
}

// Variances 7:2:1 along three axes: the cumulative ratio 0.7 + 0.2 is 0.8999999999999999 in
// float64, which must still count as reaching 0.9.
TEST(PcaModel, VarianceThresholdReachedWithinRounding) {
  std::vector<float> rows;
  for (auto [axis, pairs] : {std::pair{0, 7}, std::pair{1, 2}, std::pair{2, 1}}) {
    for (int i = 0; i < pairs; ++i) {
      for (float sign : {1.0f, -1.0f}) {
        float row[3] = {0, 0, 0};
        row[axis] = sign;
        rows.insert(rows.end(), row, row + 3);
      }
    }
  }
  Moments moments(3);
  moments.Add(rows.data(), 20);
  const PcaModel model = PcaModel::Fit(moments, {.variance = 0.9});
  const std::vector<double> ratio = model.ExplainedVarianceRatio();
  EXPECT_LT(ratio[0] + ratio[1], 0.9);  // what makes this case hard
  EXPECT_EQ(model.d_out(), 2);
  EXPECT_EQ(PcaModel::Fit(moments, {.variance = 0.7}).d_out(), 1);
  EXPECT_EQ(PcaModel::Fit(moments, {.variance = 0.9000001}).d_out(), 3);
}

TEST(PcaModel, DuplicatedColumnsCapKAtTheRank) {
  Dataset data = Correlated(500, 40, 34, 0, 30);
  for (int64_t r = 0; r < data.n; ++r) {
    for (int64_t j = 20; j < 40; ++j) data.rows[r * 40 + j] = data.rows[r * 40 + j - 20];
  }
  const Moments moments = MomentsOf(data);
  ::testing::internal::CaptureStderr();
  const PcaModel model = PcaModel::Fit(moments, {.k = 30, .whiten = true});
  const std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find("k = 30 asked, but the features have numerical rank 20"),
            std::string::npos)
      << warning;
  EXPECT_NE(warning.find("keeping 20"), std::string::npos) << warning;
  EXPECT_EQ(model.d_out(), 20);
  std::vector<float> projected(data.n * model.d_out());
  model.Apply(data.rows.data(), data.n, projected.data());
  for (float v : projected) ASSERT_TRUE(std::isfinite(v));
  for (double v : model.components()) ASSERT_TRUE(std::isfinite(v));
  for (double v : model.ExplainedVarianceRatio()) ASSERT_TRUE(std::isfinite(v) && v >= 0);
  EXPECT_LE(PcaModel::Fit(moments, {.variance = 1}).d_out(), 20);
}

TEST(PcaModel, RefusesTooFewRowsAndBadOptions) {
  const std::vector<float> row(8, 1.0f);
  Moments one(8);
  one.Add(row.data(), 1);
  try {
    PcaModel::Fit(one, {.k = 2});
    ADD_FAILURE() << "fitted on one row";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("PCA needs at least 2 feature rows, got 1"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(PcaModel::Fit(Moments(8), {.k = 2}), Error);
  Moments same(8);
  same.Add(row.data(), 1);
  same.Add(row.data(), 1);
  EXPECT_THROW(PcaModel::Fit(same, {.k = 2}), Error);

  const Moments moments = MomentsOf(Correlated(50, 8, 35));
  for (const PcaOptions& options :
       {PcaOptions{}, PcaOptions{.k = 2, .variance = 0.5}, PcaOptions{.k = -1},
        PcaOptions{.variance = 1.5}, PcaOptions{.variance = -0.5},
        PcaOptions{.variance = std::nan("")}}) {
    EXPECT_THROW(PcaModel::Fit(moments, options), UsageError)
        << "k " << options.k << " variance " << options.variance;
  }
}

// The first k components of a fit: what a classifier keeps after choosing k on one fit.
TEST(PcaModel, TruncatedKeepsTheFirstComponents) {
  const Dataset data = Correlated(500, 24, 31);
  for (const bool whiten : {false, true}) {
    const PcaModel full = PcaModel::Fit(MomentsOf(data), {.k = 10, .whiten = whiten});
    const PcaModel kept = full.Truncated(4, "k = 4 (chosen)");
    EXPECT_EQ(kept.d_out(), 4);
    EXPECT_EQ(kept.k_reason(), "k = 4 (chosen)");
    EXPECT_EQ(kept.Digest(), PcaModel::Fit(MomentsOf(data), {.k = 4, .whiten = whiten}).Digest());
    std::vector<float> a(data.n * 10), b(data.n * 4);
    full.Apply(data.rows.data(), data.n, a.data());
    kept.Apply(data.rows.data(), data.n, b.data());
    for (int64_t r = 0; r < data.n; ++r) {
      for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(b[r * 4 + i], a[r * 10 + i]);
    }
    EXPECT_THROW(full.Truncated(11, ""), InternalError);
    EXPECT_THROW(full.Truncated(0, ""), InternalError);
  }
}

TEST(PcaModel, SaveLoadRoundTrip) {
  TempDir dir;
  storage::LocalStore store;
  const Dataset data = Correlated(300, 24, 36, 2.0f);
  const PcaModel model = PcaModel::Fit(MomentsOf(data), {.k = 5, .whiten = true});
  const std::string folder = dir.File("out/pca_model");
  model.Save(store, folder, {{"fruits.version", "0.1.0"}, {"source", "features/"}});
  for (const char* file : {"mean.npy", "components.npy", "explained_variance.npy",
                           "explained_variance_ratio.npy", "model.json"}) {
    EXPECT_TRUE(store.Exists(folder + "/" + file)) << file;
  }
  const std::string json = store.Read(folder + "/model.json").value();
  for (const char* field : {"\"format\": \"fruits.pca\"", "\"version\": 1", "\"n\": 300",
                            "\"d_in\": 24", "\"k\": 5", "\"whiten\": true", "\"variance_kept\": ",
                            "\"k_reason\": \"k = 5 (--k)\"", "\"source\": \"features/\""}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
  const NpyArray components =
      DecodeNpy(store.Read(folder + "/components.npy").value(), "components.npy");
  EXPECT_EQ(components.shape, (std::vector<int64_t>{5, 24}));

  const PcaModel loaded = PcaModel::Load(store, folder);
  EXPECT_EQ(loaded.n(), 300);
  EXPECT_EQ(loaded.d_in(), 24);
  EXPECT_EQ(loaded.d_out(), 5);
  EXPECT_TRUE(loaded.whiten());
  EXPECT_EQ(loaded.k_reason(), model.k_reason());
  EXPECT_EQ(loaded.mean(), model.mean());
  EXPECT_EQ(loaded.components(), model.components());
  EXPECT_EQ(loaded.explained_variance(), model.explained_variance());
  EXPECT_EQ(loaded.VarianceKept(), model.VarianceKept());
  EXPECT_EQ(loaded.Metadata("source"), "features/");
  EXPECT_EQ(loaded.Metadata("fruits.version"), "0.1.0");
  EXPECT_EQ(loaded.Metadata("absent"), "");
  std::vector<float> a(300 * 5), b(300 * 5);
  model.Apply(data.rows.data(), 300, a.data());
  loaded.Apply(data.rows.data(), 300, b.data());
  EXPECT_EQ(a, b);
}

TEST(PcaModel, LoadRefusesMissingAndInconsistentModels) {
  TempDir dir;
  storage::LocalStore store;
  EXPECT_THROW(PcaModel::Load(store, dir.File("nothing")), UsageError);

  const PcaModel model = PcaModel::Fit(MomentsOf(Correlated(100, 6, 37)), {.k = 3});
  const std::string folder = dir.File("model");
  auto expect_refused = [&](const std::string& reason) {
    try {
      PcaModel::Load(store, folder);
      ADD_FAILURE() << "loaded; expected: " << reason;
    } catch (const UsageError& e) {
      ADD_FAILURE() << "usage error: " << e.what();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
    model.Save(store, folder, {});
  };
  auto write = [&](const std::string& name, const std::string& bytes) {
    auto file = store.NewWritableFile(folder + "/" + name);
    file->Append(bytes);
    file->Commit();
  };
  model.Save(store, folder, {});
  ASSERT_NO_THROW(PcaModel::Load(store, folder));

  write("components.npy", EncodeNpy({{4, 6}, std::vector<double>(24, 0.1)}));
  expect_refused("has shape (4, 6) but model.json says (3, 6)");
  write("mean.npy", EncodeNpy({{5}, std::vector<double>(5, 0.1)}));
  expect_refused("has shape (5) but model.json says (6)");
  write("mean.npy", "not numpy");
  expect_refused("not a readable .npy file");
  store.Remove(folder + "/explained_variance.npy");
  expect_refused("is incomplete");
  write("explained_variance_ratio.npy", EncodeNpy({{6}, std::vector<double>(6, 1.0 / 6)}));
  expect_refused("disagrees with explained_variance.npy");
  write("model.json", "{\"format\": \"other\"}");
  expect_refused("not a fruits PCA model");
  write("model.json", "{\"format\": \"fruits.pca\", \"version\": 2}");
  expect_refused("format version 2");
  write("model.json", "{\"format\": \"fruits.pca\", \"version\": 1, \"n\": 100}");
  expect_refused("not a valid PCA model description");
  write("model.json",
        "{\"format\": \"fruits.pca\", \"version\": 1, \"n\": 100, \"d_in\": 6, "
        "\"k\": 7, \"whiten\": false, \"k_reason\": \"\", \"metadata\": {}}");
  expect_refused("impossible model");
  write("model.json", "{ truncated");
  expect_refused("not a valid PCA model description");
}

}  // namespace
}  // namespace fruits::pca
