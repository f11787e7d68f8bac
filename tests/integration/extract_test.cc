// `fruits extract` end to end: a synthetic Fruits-360-like set through the built-in model into
// Parquet that DuckDB reads back; bad images; resume after kill -9; Ctrl-C; refusals.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "model/tiny_models.h"
#include "support/background_process.h"
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
using testing::ExpectContains;
using testing::Fruits;
using testing::ReadJson;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

std::vector<std::string> Parts(const std::string& folder) {
  std::vector<std::string> parts;
  if (!fs::exists(folder)) return parts;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() == ".parquet") parts.push_back(entry.path().string());
  }
  std::sort(parts.begin(), parts.end());
  return parts;
}

// Every row of every part, as DuckDB reads them: path -> (label, features).
struct Row {
  std::string label;
  std::vector<float> features;
};
std::map<std::string, Row> ReadFeatures(const std::string& out) {
  std::map<std::string, Row> rows;
  for (const auto& part : Parts(out + "/features")) {
    nlohmann::json table = testing::DuckDbRead(part);
    for (const auto& row : table["rows"]) {
      Row& r = rows[row[0].get<std::string>()];
      EXPECT_TRUE(r.features.empty()) << "duplicate row " << row[0];
      r.label = row[1].get<std::string>();
      r.features = row[2].get<std::vector<float>>();
    }
  }
  return rows;
}

std::map<std::string, std::string> ReadErrors(const std::string& out) {
  std::map<std::string, std::string> errors;
  for (const auto& part : Parts(out + "/errors")) {
    const nlohmann::json table = testing::DuckDbRead(part);
    for (const auto& row : table["rows"]) {
      errors[row[0].get<std::string>()] =
          row[1].get<std::string>() + ": " + row[2].get<std::string>();
    }
  }
  return errors;
}

class Extract : public testing::SampleSetTest {
 protected:
  // The fruits binary, set to hold still right after publishing its `shards`-th shard.
  static std::string PausingAfter(int shards) {
    return "env FRUITS_TEST_PAUSE_AFTER_SHARDS=" + std::to_string(shards) + " " +
           ShellQuote(FRUITS_BINARY) + " ";
  }
  // Whether the process logging to `log` reached its pause; false if it ended first or after a
  // minute (a hung build, not a timing assumption: the pause is where the process waits).
  static bool WaitForPause(const std::string& log) {
    for (int i = 0; i < 6000; ++i) {
      if (testing::ReadFile(log).find("fruits: test pause after") != std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  static std::string Run(const std::string& input, const std::string& out,
                         const std::string& flags = "") {
    return "extract --input " + ShellQuote(input) + " --model " + ShellQuote(Model()) +
           " --output " + ShellQuote(out) + " " + flags;
  }
};

TEST_F(Extract, WritesFeaturesDuckDbReadsWithPathsLabelsAndAManifest) {
  TempDir out;
  auto r = Fruits(Run(Training(), out.File("out"), "--shard-size 10 --batch-size 4"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "extracted 36 of 36 images (0 failed)");
  ExpectContains(r.err, "36 images in 4 shards");
  ExpectContains(r.err, "feature layer 'features' (1280 floats per image)");
  EXPECT_EQ(Parts(out.File("out/features")).size(), 4u);
  EXPECT_EQ(Parts(out.File("out/errors")).size(), 4u);

  auto rows = ReadFeatures(out.File("out"));
  ASSERT_EQ(rows.size(), 36u);
  std::map<std::string, int> per_label;
  for (const auto& [path, row] : rows) {
    EXPECT_EQ(fs::path(path).parent_path().filename().string(), row.label) << path;
    EXPECT_EQ(path.rfind(Training(), 0), 0u) << path;
    ASSERT_EQ(row.features.size(), 1280u);
    ++per_label[row.label];
  }
  EXPECT_EQ(per_label.size(), 3u);
  for (const auto& [label, count] : per_label) EXPECT_EQ(count, 12) << label;

  nlohmann::json manifest = ReadJson(out.File("out/manifest.json"));
  EXPECT_EQ(manifest["status"], "complete");
  EXPECT_EQ(manifest["input"]["images"], 36);
  EXPECT_EQ(manifest["results"]["ok"], 36);
  EXPECT_EQ(manifest["results"]["failed"], 0);
  EXPECT_EQ(manifest["model"]["feature_dim"], 1280);
  EXPECT_EQ(manifest["model"]["sha256"].get<std::string>().size(), 64u);
  // The built-in MobileNetV2 runs inside XNNPACK entirely.
  EXPECT_EQ(manifest["model"]["backend"], "xnnpack");
  EXPECT_EQ(manifest["model"]["time_share_outside_engine"], 0.0);
  EXPECT_EQ(manifest["preprocessing"]["normalization"], "mobilenet");
  ExpectContains(manifest["command_line"].get<std::string>(), "--shard-size 10");
  nlohmann::json part = testing::DuckDbRead(Parts(out.File("out/features"))[0]);
  EXPECT_EQ(part["key_value_metadata"]["fruits.model.sha256"], manifest["model"]["sha256"]);
  EXPECT_EQ(part["columns"][2]["type"], "FLOAT[]");
}

// A 1-channel model gets grey images: before, every batch wrote 3 planes per image into rows
// sized for 1, corrupting the heap (the review's reproduction: --batch-size 8 --threads 1).
TEST_F(Extract, AGreyModelGetsGreyImages) {
  TempDir out;
  const std::string grey_model = out.File("grey.onnx");
  std::ofstream(grey_model, std::ios::binary) << model::ChannelsNet(1);
  auto r =
      Fruits("extract --input " + ShellQuote(Training()) + " --model " + ShellQuote(grey_model) +
             " --output " + ShellQuote(out.File("out")) + " --batch-size 8 --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "extracted 36 of 36 images (0 failed)");
  auto rows = ReadFeatures(out.File("out"));
  ASSERT_EQ(rows.size(), 36u);
  for (const auto& [path, row] : rows) {
    ASSERT_EQ(row.features.size(), 2u) << path;
    for (float v : row.features) EXPECT_TRUE(std::isfinite(v)) << path;
  }
}

// A Concat, which Debian's XNNPACK lacks, runs in our kernel between two XNNPACK subgraphs: the
// rows equal OpenCV's, and the manifest gives the share of inference time spent outside XNNPACK.
TEST_F(Extract, AModelPartlyOutsideXnnpackGivesOpenCvsRowsAndSaysHowMuchRanOutside) {
  TempDir out;
  const std::string concat_model = out.File("concat.onnx");
  std::ofstream(concat_model, std::ios::binary) << model::ConcatNet();
  std::map<std::string, std::vector<float>> features[2];
  const std::string backends[2] = {"auto", "opencv"};
  for (int b = 0; b < 2; ++b) {
    const std::string folder = out.File(backends[b]);
    auto r = Fruits("extract --input " + ShellQuote(Training()) + " --model " +
                    ShellQuote(concat_model) + " --output " + ShellQuote(folder) + " --backend " +
                    backends[b]);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& [path, row] : ReadFeatures(folder)) features[b][path] = row.features;
  }
  nlohmann::json manifest = ReadJson(out.File("auto/manifest.json"));
  EXPECT_EQ(manifest["model"]["backend"], "xnnpack");
  const double outside = manifest["model"]["time_share_outside_engine"].get<double>();
  EXPECT_GT(outside, 0);
  EXPECT_LT(outside, 1);
  ASSERT_EQ(features[0].size(), 36u);
  for (const auto& [path, ours] : features[0]) {
    const std::vector<float>& theirs = features[1][path];
    ASSERT_EQ(ours.size(), 6u) << path;
    ASSERT_EQ(theirs.size(), 6u) << path;
    for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(ours[i], theirs[i], 1e-5) << path;
  }
}

TEST_F(Extract, BatchSizeAndThreadsDoNotChangeAnyRow) {
  TempDir out;
  ASSERT_EQ(Fruits(Run(Training(), out.File("a"), "--batch-size 1 --threads 1 -q")).exit_code, 0);
  ASSERT_EQ(Fruits(Run(Training(), out.File("b"), "--batch-size 7 --threads 2 -q")).exit_code, 0);
  auto a = ReadFeatures(out.File("a"));
  auto b = ReadFeatures(out.File("b"));
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [path, row] : a) {
    ASSERT_TRUE(b.count(path)) << path;
    ASSERT_EQ(row.features.size(), b[path].features.size());
    for (size_t i = 0; i < row.features.size(); ++i) {
      ASSERT_NEAR(row.features[i], b[path].features[i], 1e-5f) << path << " feature " << i;
    }
  }
}

TEST_F(Extract, BadImagesBecomeErrorRecordsAndTheRunGoesOn) {
  TempDir in;
  const std::string root = in.File("in");
  fs::create_directories(root + "/Bad");
  fs::copy(Training(), root, fs::copy_options::recursive);
  std::ofstream(root + "/Bad/empty.jpg");
  std::ofstream(root + "/Bad/text.jpg") << "this is not an image";
  std::ifstream jpeg(fs::directory_iterator(fs::directory_iterator(Training())->path())->path(),
                     std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(jpeg)), std::istreambuf_iterator<char>());
  std::ofstream(root + "/Bad/truncated.jpg", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  // A PNG header claiming 100000 x 100000 pixels: refused before decoding.
  std::string bomb("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\x01\x86\xa0\0\x01\x86\xa0\x08\x02\0\0\0", 33);
  std::ofstream(root + "/Bad/bomb.png", std::ios::binary) << bomb;
  fs::create_directories(root + "/Bad/folder.jpg");

  TempDir out;
  auto r = Fruits(Run(root, out.File("out"), "--shard-size 16"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "extracted 36 of 40 images (4 failed");
  auto errors = ReadErrors(out.File("out"));
  ASSERT_EQ(errors.size(), 4u);
  ExpectContains(errors[root + "/Bad/empty.jpg"], "decode: ");
  ExpectContains(errors[root + "/Bad/text.jpg"], "decode: ");
  ExpectContains(errors[root + "/Bad/truncated.jpg"], "decode: ");
  ExpectContains(errors[root + "/Bad/bomb.png"], "megapixel");
  EXPECT_EQ(ReadFeatures(out.File("out")).size(), 36u);
  EXPECT_EQ(ReadJson(out.File("out/manifest.json"))["results"]["failed"], 4);
  ExpectContains(r.err, "warning: " + root + "/Bad/bomb.png: decode failed");

  auto strict = Fruits(Run(root, out.File("strict"), "--fail-on-error -q"));
  EXPECT_EQ(strict.exit_code, 1);
  ExpectContains(strict.err, "4 images failed (--fail-on-error)");
}

TEST_F(Extract, InputListAndNoLabels) {
  TempDir in;
  auto first = fs::directory_iterator(fs::directory_iterator(Training())->path())->path();
  std::ofstream(in.File("list.txt")) << "# one image\n" << first.string() << "\n";
  TempDir out;
  auto r =
      Fruits("extract --input-list " + ShellQuote(in.File("list.txt")) + " --model " +
             ShellQuote(Model()) + " -o " + ShellQuote(out.File("out")) + " --label-from none -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = ReadFeatures(out.File("out"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.begin()->first, first.string());
  EXPECT_EQ(rows.begin()->second.label, "");
}

// kill -9 right after the N-th shard is published, then --resume: exactly the rows of an
// uninterrupted run. FRUITS_TEST_PAUSE_AFTER_SHARDS (pipeline/shard_sink.h) holds the process at
// that point, so the kill lands there and the counts are exact.
TEST_F(Extract, ResumeAfterKillGivesExactlyTheRowsOfAnUninterruptedRun) {
  TempDir out;
  const std::string flags = "--shard-size 4 --batch-size 2 --threads 1 -q";
  ASSERT_EQ(Fruits(Run(Training(), out.File("whole"), flags)).exit_code, 0);
  const auto whole = ReadFeatures(out.File("whole"));

  for (int kill_after_parts : {1, 4}) {
    const std::string target = out.File("killed" + std::to_string(kill_after_parts));
    const std::string log = out.File("log" + std::to_string(kill_after_parts));
    {
      testing::BackgroundProcess run(
          PausingAfter(kill_after_parts) + Run(Training(), target, flags), log);
      ASSERT_TRUE(WaitForPause(log)) << testing::ReadFile(log);
      run.Signal(SIGKILL);
      EXPECT_EQ(run.Wait(), 128 + SIGKILL);
    }
    EXPECT_EQ(Parts(target + "/features").size(), static_cast<size_t>(kill_after_parts));
    EXPECT_EQ(ReadFeatures(target).size(), 4u * kill_after_parts);
    auto again = Fruits(Run(Training(), target, flags));
    ASSERT_EQ(again.exit_code, 2) << "a second run without --resume must refuse";
    ExpectContains(again.err, "add --resume");
    auto resumed = Fruits(Run(Training(), target, flags + " --resume"));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    const auto rows = ReadFeatures(target);
    ASSERT_EQ(rows.size(), whole.size());
    for (const auto& [path, row] : whole) {
      ASSERT_TRUE(rows.count(path)) << path;
      EXPECT_EQ(rows.at(path).features, row.features) << path;
    }
    nlohmann::json manifest = ReadJson(target + "/manifest.json");
    EXPECT_EQ(manifest["results"]["ok"], 36);
    EXPECT_EQ(manifest["results"]["shards_resumed"], kill_after_parts);
    EXPECT_EQ(manifest["results"]["shards_written"], 9 - kill_after_parts);
  }
}

// Ctrl-C right after the 2nd shard is published: those two shards are kept, nothing else; the
// manifest says "interrupted"; --resume finishes the rest.
TEST_F(Extract, CtrlCKeepsCompleteShardsAndResumeFinishes) {
  TempDir out;
  const std::string target = out.File("out");
  const std::string flags = "--shard-size 4 --batch-size 2 --threads 1";
  {
    testing::BackgroundProcess run(PausingAfter(2) + Run(Training(), target, flags),
                                   out.File("log"));
    ASSERT_TRUE(WaitForPause(out.File("log"))) << testing::ReadFile(out.File("log"));
    run.Signal(SIGINT);
    EXPECT_EQ(run.Wait(), 130);
  }
  const std::string text = testing::ReadFile(out.File("log"));
  ExpectContains(text, "interrupted after 8 of 36 images");
  ExpectContains(text, "--resume");
  nlohmann::json manifest = ReadJson(target + "/manifest.json");
  EXPECT_EQ(manifest["status"], "interrupted");
  EXPECT_EQ(manifest["results"]["shards_written"], 2);
  EXPECT_EQ(Parts(target + "/features").size(), 2u);
  EXPECT_EQ(Parts(target + "/errors").size(), 2u);
  EXPECT_EQ(ReadFeatures(target).size(), 8u) << "only complete shards are kept";
  ASSERT_EQ(Fruits(Run(Training(), target, flags + " --resume -q")).exit_code, 0);
  EXPECT_EQ(ReadFeatures(target).size(), 36u);
  manifest = ReadJson(target + "/manifest.json");
  EXPECT_EQ(manifest["status"], "complete");
  EXPECT_EQ(manifest["results"]["shards_resumed"], 2);
}

TEST_F(Extract, BadFlagsAndMissingThingsStopAtOnceWithWhatToDo) {
  TempDir out;
  auto no_input = Fruits(Run(dir().File("nowhere"), out.File("o")));
  EXPECT_EQ(no_input.exit_code, 2);
  ExpectContains(no_input.err, "nowhere");
  auto no_model =
      Fruits("extract --input " + ShellQuote(Training()) + " --model " +
             ShellQuote(dir().File("absent.onnx")) + " -o " + ShellQuote(out.File("o")));
  EXPECT_EQ(no_model.exit_code, 2);
  ExpectContains(no_model.err, "fruits model init");
  auto bad_preprocess = Fruits(Run(Training(), out.File("o"), "--preprocess tensorflow"));
  EXPECT_EQ(bad_preprocess.exit_code, 2);
  ExpectContains(bad_preprocess.err, "--preprocess");
  auto both = Fruits(Run(Training(), out.File("o"), "--input-list x.txt"));
  EXPECT_EQ(both.exit_code, 2);
  auto neither =
      Fruits("extract --model " + ShellQuote(Model()) + " -o " + ShellQuote(out.File("o")));
  EXPECT_EQ(neither.exit_code, 2);
  ExpectContains(neither.err, "--input FOLDER or --input-list FILE");
  EXPECT_FALSE(fs::exists(out.File("o/features")));
}

}  // namespace
}  // namespace fruits

namespace fruits {
namespace {

// The numbers are right: features from `fruits extract` equal those of the Python way (Pillow
// decode and bicubic resize, Keras' MobileNetV2 scaling, torchvision with the same weights),
// image by image, within 1e-4 of the largest magnitude.
TEST(ExtractAgainstPython, FeaturesEqualPillowPlusTorchvision) {
  TempDir dir;
  ASSERT_EQ(Fruits("dataset sample -o " + ShellQuote(dir.File("data")) +
                   " --classes 4 --per-class 2 --test-per-class 0 --multi-fruit 1 --seed 9")
                .exit_code,
            0);
  ASSERT_EQ(Fruits("model init --seed 4 -o " + ShellQuote(dir.File("m.onnx"))).exit_code, 0);
  auto r = Fruits("extract --input " + ShellQuote(dir.File("data")) + " --model " +
                  ShellQuote(dir.File("m.onnx")) + " -o " + ShellQuote(dir.File("out")) + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ours = ReadFeatures(dir.File("out"));
  ASSERT_EQ(ours.size(), 9u);  // 8 single fruits and one larger, downscaled multi-fruit image

  std::string images;
  for (const auto& [path, row] : ours) images += " " + ShellQuote(path);
  auto python = testing::RunPythonReference(
      "torch_models.py", "images-to-features " + ShellQuote(dir.File("m.onnx")) + images);
  ASSERT_EQ(python.exit_code, 0) << python.err;
  nlohmann::json theirs = nlohmann::json::parse(python.out);
  for (const auto& [path, row] : ours) {
    std::vector<float> expected = theirs[path].get<std::vector<float>>();
    ASSERT_EQ(expected.size(), row.features.size()) << path;
    float largest = 0, error = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
      largest = std::max(largest, std::abs(expected[i]));
      error = std::max(error, std::abs(expected[i] - row.features[i]));
    }
    EXPECT_LT(error, 1e-4f * largest) << path;
  }
}

}  // namespace
}  // namespace fruits
