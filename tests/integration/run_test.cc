// `fruits run` and `fruits pca fit|transform` end to end: features, a PCA model numpy reads,
// projections DuckDB reads, the run summary, resume across steps, and the refusals.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/fruits_cli.h"
#include "support/reference_readers.h"
#include "support/run_command.h"
#include "support/sample_set_test.h"
#include "support/temp_dir.h"

namespace fruits {
namespace {

namespace fs = std::filesystem;
using testing::ExpectContains;
using testing::Fruits;
using testing::ReadJson;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

// path -> pca row, over every part of a pca folder, as DuckDB reads them.
std::map<std::string, std::vector<float>> ReadPca(const std::string& folder) {
  std::map<std::string, std::vector<float>> rows;
  std::vector<std::string> parts;
  for (const auto& entry : fs::directory_iterator(folder)) parts.push_back(entry.path().string());
  for (const auto& part : parts) {
    const nlohmann::json table = testing::DuckDbRead(part);
    EXPECT_EQ(table["columns"][2]["name"], "pca");
    for (const auto& row : table["rows"]) {
      rows[row[0].get<std::string>()] = row[2].get<std::vector<float>>();
    }
  }
  return rows;
}

class Run : public testing::SampleSetTest {
 protected:
  static std::string RunArgs(const std::string& split, const std::string& out,
                             const std::string& flags) {
    return "run --input " + ShellQuote(Data() + "/" + split) + " --model " + ShellQuote(Model()) +
           " -o " + ShellQuote(out) + " " + flags;
  }
};

TEST_F(Run, WritesFeaturesAPcaModelNumpyReadsAndProjections) {
  TempDir out;
  const std::string target = out.File("out");
  auto r = Fruits(RunArgs("Training", target, "--k 5 --shard-size 10"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "extracted 36 of 36 images");
  ExpectContains(r.out, "PCA: 1280 -> 5 components (k = 5 (--k))");
  ExpectContains(r.out, "outputs: " + target + "/features, " + target + "/pca");

  auto pca = ReadPca(target + "/pca");
  ASSERT_EQ(pca.size(), 36u);
  for (const auto& [path, row] : pca) EXPECT_EQ(row.size(), 5u) << path;
  EXPECT_EQ(std::distance(fs::directory_iterator(target + "/pca"), fs::directory_iterator()), 4);

  auto numpy = RunCommand(
      "/usr/bin/python3 -c " +
      ShellQuote("import json, numpy; d = '" + target +
                 "/pca_model/'; c = numpy.load(d + 'components.npy'); m = numpy.load(d + "
                 "'mean.npy'); v = numpy.load(d + 'explained_variance_ratio.npy'); j = "
                 "json.load(open(d + 'model.json')); print(c.shape, m.shape, v.shape, j['k'], "
                 "round(float((c @ c.T - numpy.eye(5)).max()), 9))"));
  ASSERT_EQ(numpy.exit_code, 0) << numpy.err;
  EXPECT_EQ(numpy.out, "(5, 1280) (1280,) (1280,) 5 0.0\n");

  nlohmann::json manifest = ReadJson(target + "/manifest.json");
  EXPECT_EQ(manifest["command"], "run");
  EXPECT_EQ(manifest["pca"]["k"], 5);
  EXPECT_EQ(manifest["pca"]["rows"], 36);
  EXPECT_GT(manifest["pca"]["variance_kept"].get<double>(), 0.0);

  auto summary = Fruits("inspect " + ShellQuote(target));
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  ExpectContains(summary.out, "run         " + target + " (complete");
  ExpectContains(summary.out, "results     36 ok, 0 failed");
  ExpectContains(summary.out, "PCA         1280 -> 5 components");
}

TEST_F(Run, VarianceChoosesTheSmallestKAndResumeRedoesNothing) {
  TempDir out;
  const std::string target = out.File("out");
  auto first = Fruits(RunArgs("Training", target, "--variance 0.9 --shard-size 10"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  nlohmann::json manifest = ReadJson(target + "/manifest.json");
  const double kept = manifest["pca"]["variance_kept"];
  EXPECT_GE(kept, 0.9);
  ExpectContains(manifest["pca"]["k_reason"], "0.9");
  const auto before = ReadPca(target + "/pca");

  auto again = Fruits(RunArgs("Training", target, "--variance 0.9 --shard-size 10 --resume"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  ExpectContains(again.err, "resuming: 4 of 4 shards already complete");
  ExpectContains(again.err, "the PCA model in '" + target + "/pca_model' was fitted on these");
  manifest = ReadJson(target + "/manifest.json");
  EXPECT_EQ(manifest["pca"]["parts_resumed"], 4);
  EXPECT_EQ(manifest["pca"]["parts_written"], 0);
  EXPECT_EQ(ReadPca(target + "/pca"), before);
}

// The notebook's use: fit on Training, project Test with the same model.
TEST_F(Run, FitOnTrainingThenProjectTest) {
  TempDir out;
  ASSERT_EQ(Fruits(RunArgs("Training", out.File("train"), "--k 4 -q")).exit_code, 0);
  auto extract = Fruits("extract --input " + ShellQuote(Data() + "/Test") + " --model " +
                        ShellQuote(Model()) + " -o " + ShellQuote(out.File("test")) + " -q");
  ASSERT_EQ(extract.exit_code, 0) << extract.err;
  auto transform =
      Fruits("pca transform --features " + ShellQuote(out.File("test/features")) + " --pca-model " +
             ShellQuote(out.File("train/pca_model")) + " -o " + ShellQuote(out.File("test")));
  ASSERT_EQ(transform.exit_code, 0) << transform.err;
  ExpectContains(transform.out, "projected 12 rows to 4 components");
  EXPECT_EQ(ReadPca(out.File("test/pca")).size(), 12u);

  auto fit = Fruits("pca fit --features " + ShellQuote(out.File("train/features")) + " -o " +
                    ShellQuote(out.File("refit")) + " --k 4");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  ExpectContains(fit.out, "PCA: 1280 -> 4 components");
  std::ifstream a(out.File("refit/components.npy"), std::ios::binary);
  std::ifstream b(out.File("train/pca_model/components.npy"), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}),
            std::string(std::istreambuf_iterator<char>(b), {}))
      << "the same features give the same model";
}

TEST_F(Run, RefusalsSayWhatToDo) {
  TempDir out;
  auto both = Fruits(RunArgs("Training", out.File("o"), "--k 3 --variance 0.9"));
  EXPECT_EQ(both.exit_code, 2);
  ExpectContains(both.err, "--variance");
  auto nothing = Fruits("pca fit --features " + ShellQuote(out.path().string()) + " -o " +
                        ShellQuote(out.File("m")));
  EXPECT_EQ(nothing.exit_code, 2);
  ExpectContains(nothing.err, "no features parts");
  auto no_model =
      Fruits("pca transform --features " + ShellQuote(out.path().string()) + " --pca-model " +
             ShellQuote(out.File("none")) + " -o " + ShellQuote(out.File("t")));
  EXPECT_EQ(no_model.exit_code, 2);
  // Every image failed: the extraction's outputs and manifest are written, then the PCA refuses.
  fs::create_directories(out.File("bad/Kiwi"));
  std::ofstream(out.File("bad/Kiwi/text.jpg")) << "this is not an image";
  auto no_rows = Fruits("run --input " + ShellQuote(out.File("bad")) + " --model " +
                        ShellQuote(Model()) + " -o " + ShellQuote(out.File("r")) + " -q");
  EXPECT_EQ(no_rows.exit_code, 1);
  ExpectContains(no_rows.err, "no image could be read: nothing to fit a PCA on");
  EXPECT_EQ(ReadJson(out.File("r/manifest.json"))["results"]["failed"], 1);
  auto no_run = Fruits("inspect " + ShellQuote(out.path().string()));
  EXPECT_EQ(no_run.exit_code, 2);
  ExpectContains(no_run.err, "holds no manifest.json");
}

}  // namespace
}  // namespace fruits
