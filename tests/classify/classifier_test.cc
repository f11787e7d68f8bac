#include "classify/classifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "classify/classify_test_data.h"
#include "pca/moments.h"
#include "storage/local_store.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::classify {
namespace {

using fruits::testing::TempDir;

// A classifier on Gaussian classes: PCA to 5 of 12 dimensions, then a softmax regression.
Classifier Trained(const LabelledRows& data, bool whiten) {
  pca::Moments moments(data.d);
  moments.Add(data.x.data(), data.n);
  pca::PcaModel pca = pca::PcaModel::Fit(moments, {.k = 5, .whiten = whiten});
  std::vector<float> projected(data.n * 5);
  pca.Apply(data.x.data(), data.n, projected.data());
  SoftmaxFit fit = SoftmaxRegression::Fit({projected.data(), data.n, 5, 5}, data.y, 3, {});
  return Classifier(std::move(pca), std::move(fit.model), {"Apple", "Banana", "Cherry"},
                    {{"k_reason", "k = 5 (--k)"}, {"training", {{"rows", data.n}}}});
}

TEST(Classifier, SavesWhatLoadReadsBack) {
  const LabelledRows data = GaussianClasses(600, 12, 3, 1.5, 11);
  for (const bool whiten : {false, true}) {
    const Classifier saved = Trained(data, whiten);
    TempDir dir;
    storage::LocalStore store;
    saved.Save(store, dir.File("clf"));
    for (const char* file : {"model.json", "weights.npy", "bias.npy", "labels.txt",
                             "pca_model/model.json", "pca_model/components.npy"}) {
      EXPECT_TRUE(std::filesystem::exists(dir.File("clf/") + file)) << file;
    }
    const Classifier loaded = Classifier::Load(store, dir.File("clf"));
    EXPECT_EQ(loaded.digest(), saved.digest());
    EXPECT_EQ(loaded.labels(), saved.labels());
    EXPECT_EQ(loaded.description().at("k_reason"), "k = 5 (--k)");
    EXPECT_EQ(loaded.description().at("training").at("rows"), 600);
    EXPECT_EQ(loaded.LabelIndex("Banana"), 1);
    EXPECT_EQ(loaded.LabelIndex("Durian"), -1);
    std::vector<double> a(data.n * 3), b(data.n * 3);
    saved.Classify(data.x.data(), data.n, a.data());
    loaded.Classify(data.x.data(), data.n, b.data());
    EXPECT_EQ(a, b);
  }
}

// Classify() is the composition the files describe: softmax((x - mean) C^T W^T + b).
TEST(Classifier, ClassifyIsPcaThenSoftmax) {
  const LabelledRows data = GaussianClasses(200, 12, 3, 1.5, 12);
  const Classifier c = Trained(data, false);
  std::vector<double> p(data.n * 3);
  c.Classify(data.x.data(), data.n, p.data());
  for (int64_t r = 0; r < data.n; r += 37) {
    double logits[3], sum = 0;
    for (int j = 0; j < 3; ++j) {
      logits[j] = c.regression().bias()[j];
      for (int i = 0; i < 5; ++i) {
        double coordinate = 0;
        for (int d = 0; d < 12; ++d) {
          coordinate += (data.x[r * 12 + d] - c.pca().mean()[d]) * c.pca().components()[i * 12 + d];
        }
        logits[j] += c.regression().weights()[j * 5 + i] * coordinate;
      }
      sum += std::exp(logits[j]);
    }
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(p[r * 3 + j], std::exp(logits[j]) / sum, 1e-6);
  }
}

TEST(Classifier, LoadSaysWhatIsWrong) {
  const LabelledRows data = GaussianClasses(200, 12, 3, 1.5, 13);
  TempDir dir;
  storage::LocalStore store;
  EXPECT_THROW(Classifier::Load(store, dir.File("none")), UsageError);
  Trained(data, false).Save(store, dir.File("clf"));
  std::ofstream(dir.File("clf/labels.txt")) << "Apple\nBanana\n";
  try {
    Classifier::Load(store, dir.File("clf"));
    FAIL() << "two labels for three weight rows were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("labels.txt' lists 2 labels"), std::string::npos)
        << e.what();
  }
  std::filesystem::remove(dir.File("clf/weights.npy"));
  EXPECT_THROW(Classifier::Load(store, dir.File("clf")), Error);
}

TEST(Classifier, PartsThatDoNotFitAreRefused) {
  const LabelledRows data = GaussianClasses(200, 12, 3, 1.5, 14);
  pca::Moments moments(12);
  moments.Add(data.x.data(), data.n);
  const pca::PcaModel pca = pca::PcaModel::Fit(moments, {.k = 5});
  EXPECT_THROW(Classifier(pca, SoftmaxRegression(3, 4, std::vector<double>(12), {0, 0, 0}),
                          {"a", "b", "c"}, {}),
               InternalError);
  EXPECT_THROW(
      Classifier(pca, SoftmaxRegression(3, 5, std::vector<double>(15), {0, 0, 0}), {"a", "b"}, {}),
      InternalError);
}

}  // namespace
}  // namespace fruits::classify
