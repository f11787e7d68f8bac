// `fruits run --test`, `fruits train`, `fruits evaluate`, `fruits export` and `fruits classify`
// with their inputs and outputs on S3 (s3rver behind the proxy that checks every request's
// signature): the classifier, the metrics and the predictions equal those of the same commands
// on local files, and --resume writes nothing again.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "storage/local_store.h"
#include "storage/s3/s3_store.h"
#include "support/classifier_outputs.h"
#include "support/fault_proxy.h"
#include "support/fruits_cli.h"
#include "support/read_file.h"
#include "support/reference_readers.h"
#include "support/report_page.h"
#include "support/s3_test_server.h"
#include "support/sample_set_test.h"
#include "support/temp_dir.h"

namespace fruits {
namespace {

namespace fs = std::filesystem;
using testing::FaultProxy;
using testing::Fruits;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

constexpr char kBucket[] = "fruits-bucket";

std::string S3Uri(const std::string& key) { return std::string("s3://") + kBucket + "/" + key; }

class S3Classify : public testing::SampleSetTest {
 protected:
  // The sample set (Training and Test) and the model in the bucket, byte for byte, and the run
  // the S3 commands are compared with, on local files.
  void SetUp() override {
    for (const storage::ObjectInfo& object : local_store_.List(Data())) {
      Upload(object.uri, "images" + object.uri.substr(Data().size()));
    }
    Upload(Model(), "models/m.onnx");
    auto r =
        Fruits("run --input " + ShellQuote(Training()) + " --test " + ShellQuote(Data() + "/Test") +
               " --model " + ShellQuote(Model()) + " -o " + ShellQuote(LocalRun()) + RunFlags());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Straight to s3rver, not through the proxy: the proxy counts the commands' requests only.
  void Upload(const std::string& file, const std::string& key) {
    storage::S3Options options;
    options.endpoint = server_.endpoint();
    storage::S3Store s3(options, storage::AwsEnvironment({{"AWS_ACCESS_KEY_ID", "S3RVER"},
                                                          {"AWS_SECRET_ACCESS_KEY", "S3RVER"}}));
    auto out = s3.NewWritableFile(S3Uri(key));
    out->Append(local_store_.Read(file).value());
    out->Commit();
  }

  // `fruits ARGS` as a user on an S3-compatible store runs it, through the verifying proxy.
  testing::CommandResult S3Fruits(const std::string& args) const {
    return RunCommand(
        "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true "
        "AWS_REGION=us-east-1 " +
        ShellQuote(FRUITS_BINARY) + " " + args + " --s3-endpoint " + proxy_.endpoint());
  }

  static std::string RunFlags() { return " --k 8 --shard-size 10 --batch-size 4 --threads 2 -q"; }
  std::string LocalRun() const { return local_.File("run"); }
  std::string Object(const std::string& key) const {
    return server_.ObjectPath(kBucket, key).string();
  }

  // Requests that created an object (PUTs and multipart starts) so far.
  int Creations() const {
    int creations = 0;
    for (const auto& [sse, count] : proxy_.Stats().encryption) creations += count;
    return creations;
  }

  // Every object in the bucket by key, with the time s3rver last wrote it.
  std::map<std::string, fs::file_time_type> Objects() const {
    std::map<std::string, fs::file_time_type> objects;
    const std::string suffix = "._S3rver_object";
    const fs::path bucket = server_.data_dir() / kBucket;
    for (const auto& entry : fs::recursive_directory_iterator(bucket)) {
      const std::string name = fs::relative(entry.path(), bucket).string();
      if (name.ends_with(suffix)) {
        objects[name.substr(0, name.size() - suffix.size())] = entry.last_write_time();
      }
    }
    return objects;
  }

  // The keys of the objects written (or removed) since `before`.
  std::set<std::string> Changed(const std::map<std::string, fs::file_time_type>& before) const {
    const auto after = Objects();
    std::set<std::string> changed;
    for (const auto& [key, time] : after) {
      if (!before.contains(key) || before.at(key) != time) changed.insert(key);
    }
    for (const auto& [key, time] : before) {
      if (!after.contains(key)) changed.insert(key);
    }
    return changed;
  }

  // The file of s3rver's data folder holding the object `folder`/NAME.
  testing::FileOf In(const std::string& folder) const {
    return [this, folder](const std::string& name) { return Object(folder + "/" + name); };
  }

  storage::LocalStore local_store_;
  testing::S3TestServer server_{{kBucket}};
  FaultProxy proxy_{server_.port(), "pass", {.verify_secret = "S3RVER"}};
  TempDir local_;
};

// The app model written to the bucket and read back from it: `fruits classify` of the Test
// images under an s3:// prefix prints what it prints for the same images on disk.
TEST_F(S3Classify, ExportAndClassifyOnS3GiveTheLocalPredictions) {
  auto r = S3Fruits("export --model " + S3Uri("models/m.onnx") + " --classifier " +
                    ShellQuote(LocalRun() + "/classifier") + " -o " + S3Uri("apps/fruit.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = S3Fruits("classify --json --model " + S3Uri("apps/fruit.onnx") + " " + S3Uri("images/Test"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto local = Fruits("classify --json --model " + ShellQuote(Object("apps/fruit.onnx")) +
                            " " + ShellQuote(Data() + "/Test"));
  ASSERT_EQ(local.exit_code, 0) << local.err;
  std::string expected = local.out;
  for (size_t at = 0; (at = expected.find(Data(), at)) != std::string::npos;) {
    expected.replace(at, Data().size(), S3Uri("images"));
  }
  EXPECT_EQ(r.out, expected);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 12);
  EXPECT_EQ(proxy_.Stats().rejected, 0);
}

TEST_F(S3Classify,
       RunWithTestGivesTheLocalResultsAndAReportAndResumeRewritesOnlyManifestAndReport) {
  const std::string run = "run --input " + S3Uri("images/Training") + " --test " +
                          S3Uri("images/Test") + " --model " + S3Uri("models/m.onnx") + " -o " +
                          S3Uri("runs/test") + RunFlags();
  auto r = S3Fruits(run);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  testing::ExpectSameClassifier(LocalRun() + "/classifier", In("runs/test/classifier"),
                                testing::Features::kSameImagesElsewhere);
  EXPECT_EQ(testing::ExpectSameEvaluation(LocalRun() + "/evaluation", In("runs/test/evaluation"),
                                          Data(), S3Uri("images")),
            2);  // 12 test images in shards of 10
  nlohmann::json manifest = testing::ReadJson(Object("runs/test/manifest.json"));
  EXPECT_EQ(manifest["status"], "complete");
  EXPECT_EQ(manifest["classifier"]["k"], 8);
  EXPECT_EQ(manifest["evaluation"]["rows"], 12);
  EXPECT_EQ(proxy_.Stats().rejected, 0);
  EXPECT_GT(proxy_.Stats().verified, 0);

  // The run's report, in the bucket: its data is the run's, and its thumbnails were read from
  // the test images in the bucket.
  const nlohmann::json report =
      testing::EmbeddedReportData(testing::ReadFile(Object("runs/test/report.html")));
  EXPECT_EQ(report["output"], S3Uri("runs/test"));
  EXPECT_EQ(report["manifest"], manifest);
  EXPECT_EQ(report["classifier"]["metrics"],
            testing::ReadJson(Object("runs/test/evaluation/metrics.json")));
  int thumbnails = 0;
  for (const auto& pair : report["classifier"]["confused_examples"]) {
    for (const auto& example : pair["examples"]) {
      EXPECT_TRUE(example["path"].get<std::string>().starts_with(S3Uri("images/Test/")));
      thumbnails += example["thumbnail"].is_string();
    }
  }
  EXPECT_GT(thumbnails, 0);
  // `fruits report` of the run in the bucket, to a local file: the same data.
  const std::string page = local_.File("report.html");
  auto reported = S3Fruits("report " + S3Uri("runs/test") + " -o " + ShellQuote(page) + " -q");
  ASSERT_EQ(reported.exit_code, 0) << reported.err;
  nlohmann::json local_report = testing::EmbeddedReportData(testing::ReadFile(page));
  local_report["generated_at"] = report["generated_at"];
  EXPECT_EQ(local_report, report);

  const auto before = Objects();
  const int creations = Creations();
  auto resumed = S3Fruits(run + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(Changed(before),
            (std::set<std::string>{"runs/test/manifest.json", "runs/test/report.html"}));
  // The manifest is written after each extraction and at the end, then the report; nothing
  // else is.
  EXPECT_EQ(Creations() - creations, 4);
  manifest = testing::ReadJson(Object("runs/test/manifest.json"));
  EXPECT_EQ(manifest["classifier"]["reused"], true);
  EXPECT_EQ(manifest["evaluation"]["reused"], true);
}

TEST_F(S3Classify, TrainAndEvaluateGiveTheLocalResultsAndResumeWritesNothing) {
  // The local run's features in the bucket, byte for byte: both sides read the same rows.
  for (const char* folder : {"features", "test/features"}) {
    for (const auto& entry : fs::directory_iterator(LocalRun() + "/" + folder)) {
      Upload(entry.path().string(),
             std::string("features/") + folder + "/" + entry.path().filename().string());
    }
  }
  const std::string train_flags = " --k auto --holdout 0.25 --threads 2 -q";
  auto local_train = Fruits("train --features " + ShellQuote(LocalRun() + "/features") + " -o " +
                            ShellQuote(local_.File("clf")) + train_flags);
  ASSERT_EQ(local_train.exit_code, 0) << local_train.err;
  auto local_evaluate =
      Fruits("evaluate --classifier " + ShellQuote(local_.File("clf")) + " --features " +
             ShellQuote(LocalRun() + "/test/features") + " -o " + ShellQuote(local_.File("eval")));
  ASSERT_EQ(local_evaluate.exit_code, 0) << local_evaluate.err;

  const std::string train =
      "train --features " + S3Uri("features/features") + " -o " + S3Uri("clf") + train_flags;
  const std::string evaluate = "evaluate --classifier " + S3Uri("clf") + " --features " +
                               S3Uri("features/test/features") + " -o " + S3Uri("eval") + " -q";
  auto s3_train = S3Fruits(train);
  ASSERT_EQ(s3_train.exit_code, 0) << s3_train.err;
  auto s3_evaluate = S3Fruits(evaluate);
  ASSERT_EQ(s3_evaluate.exit_code, 0) << s3_evaluate.err;
  testing::ExpectSameClassifier(local_.File("clf"), In("clf"));
  EXPECT_EQ(testing::ExpectSameEvaluation(local_.File("eval"), In("eval")), 2);
  nlohmann::json model = testing::ReadJson(Object("clf/model.json"));
  testing::ExpectContains(model["k_reason"], "the best validation accuracy");
  EXPECT_EQ(model["validation"]["rows"], 9);  // a quarter of 3 x 12, per label
  EXPECT_EQ(proxy_.Stats().rejected, 0);

  const auto before = Objects();
  const int creations = Creations();
  auto resumed_train = S3Fruits(train + " --resume");
  ASSERT_EQ(resumed_train.exit_code, 0) << resumed_train.err;
  auto resumed_evaluate = S3Fruits(evaluate + " --resume");
  ASSERT_EQ(resumed_evaluate.exit_code, 0) << resumed_evaluate.err;
  EXPECT_EQ(Changed(before), std::set<std::string>{});
  EXPECT_EQ(Creations(), creations);
}

}  // namespace
}  // namespace fruits
