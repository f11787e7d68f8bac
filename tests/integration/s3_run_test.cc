// `fruits run` with its input, model and output on S3 (s3rver on loopback): the Parquet content
// equals that of the same run on local files, also through a proxy that keeps failing requests;
// wrong credentials, unknown buckets and missing keys stop the command promptly and clearly; and
// `fruits model quantize` on S3 writes the int8 file it writes from local files.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "storage/local_store.h"
#include "storage/s3/s3_store.h"
#include "support/fault_proxy.h"
#include "support/fruits_cli.h"
#include "support/read_file.h"
#include "support/reference_readers.h"
#include "support/s3_test_server.h"
#include "support/sample_set_test.h"
#include "support/temp_dir.h"

namespace fruits {
namespace {

namespace fs = std::filesystem;
using testing::ExpectContains;
using testing::FaultProxy;
using testing::Fruits;
using testing::RunCommand;
using testing::S3TestServer;
using testing::ShellQuote;
using testing::TempDir;

constexpr char kBucket[] = "fruits-bucket";

// The environment and flags a user on an S3-compatible store would give.
std::string S3Fruits(const std::string& endpoint, const std::string& args,
                     const std::string& secret = "S3RVER") {
  return "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=" + secret +
         " AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1 " + ShellQuote(FRUITS_BINARY) + " " +
         args + " --s3-endpoint " + endpoint;
}

class S3Run : public testing::SampleSetTest {
 protected:
  // Puts the sample set (with one corrupt image) and the model into the bucket, byte for byte.
  void SetUp() override {
    storage::S3Options options;
    options.endpoint = server_.endpoint();
    storage::S3Store s3(options, storage::AwsEnvironment({{"AWS_ACCESS_KEY_ID", "S3RVER"},
                                                          {"AWS_SECRET_ACCESS_KEY", "S3RVER"}}));
    storage::LocalStore local;
    std::ofstream(Training() + "/Banana/corrupt.jpg") << "not a jpeg";
    for (const storage::ObjectInfo& object : local.List(Training())) {
      Upload(local, s3, object.uri, S3Input() + object.uri.substr(Training().size()));
    }
    Upload(local, s3, Model(), S3Model());
    LocalRun();
  }

  static void Upload(storage::ObjectStore& from, storage::ObjectStore& to, const std::string& src,
                     const std::string& dst) {
    auto file = to.NewWritableFile(dst);
    file->Append(from.Read(src).value());
    file->Commit();
  }

  static std::string S3Input() { return std::string("s3://") + kBucket + "/images/Training"; }
  static std::string S3Model() { return std::string("s3://") + kBucket + "/models/m.onnx"; }
  std::string LocalOut() const { return local_out_.File("out"); }
  std::string RunFlags() const { return " --k 6 --shard-size 10 --batch-size 4 --threads 2"; }

  void LocalRun() {
    auto r = Fruits("run --input " + ShellQuote(Training()) + " --model " + ShellQuote(Model()) +
                    " -o " + ShellQuote(LocalOut()) + RunFlags());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // A part as DuckDB reads it, with the input prefix cut from the paths, and the model's digest
  // (the other run facts in the footer name the inputs and the model by their URIs).
  static nlohmann::json ReadPart(const std::string& file, const std::string& input_prefix) {
    nlohmann::json part =
        testing::DuckDbRead(file, "SELECT * REPLACE (replace(path, " + Quote(input_prefix) +
                                      ", '') AS path) FROM file ORDER BY path");
    part["model_sha256"] = part["key_value_metadata"]["fruits.model.sha256"];
    part.erase("key_value_metadata");
    return part;
  }
  static std::string Quote(const std::string& text) { return "'" + text + "'"; }

  // How closely the S3 run's PCA must match the local run's: bit for bit in one process; under
  // MPI, OpenBLAS may split the eigen-decomposition's work otherwise (as in mpi_test.cc).
  enum class Pca { kExact, kNear };

  // Every Parquet part and PCA model file of the S3 run under `key` equals the local run's.
  void ExpectSameOutputs(const std::string& key, Pca pca = Pca::kExact) {
    int parts = 0;
    for (const char* folder : {"features", "errors", "pca"}) {
      for (const auto& entry : fs::directory_iterator(LocalOut() + "/" + folder)) {
        std::string name = std::string(folder) + "/" + entry.path().filename().string();
        fs::path s3_file = server_.ObjectPath(kBucket, key + "/" + name);
        ASSERT_TRUE(fs::exists(s3_file)) << name;
        nlohmann::json local_part = ReadPart(entry.path().string(), Training());
        nlohmann::json s3_part = ReadPart(s3_file, S3Input());
        EXPECT_GT(local_part["columns"].size(), 0u) << name;
        if (pca == Pca::kNear && std::string(folder) == "pca") {
          ExpectRowsNear(local_part["rows"], s3_part["rows"], name);
        } else {
          EXPECT_TRUE(local_part == s3_part) << name << " differs";
        }
        ++parts;
      }
    }
    EXPECT_EQ(parts, 3 * 4);  // 37 inputs in shards of 10
    for (const char* file :
         {"mean.npy", "components.npy", "explained_variance.npy", "explained_variance_ratio.npy"}) {
      std::string name = std::string("pca_model/") + file;
      std::string local = LocalOut() + "/" + name;
      std::string s3 = server_.ObjectPath(kBucket, key + "/" + name).string();
      if (pca == Pca::kExact) {
        EXPECT_TRUE(testing::ReadFile(local) == testing::ReadFile(s3)) << name;
        continue;
      }
      auto numpy =
          RunCommand("/usr/bin/python3 -c " +
                     ShellQuote("import numpy as n; a, b = n.load('" + local + "'), n.load('" + s3 +
                                "'); print(abs(a - b).max() <= 1e-9 * abs(a).max())"));
      EXPECT_EQ(numpy.out, "True\n") << name << numpy.err;
    }
    nlohmann::json manifest = nlohmann::json::parse(
        testing::ReadFile(server_.ObjectPath(kBucket, key + "/manifest.json").string()));
    EXPECT_EQ(manifest["status"], "complete");
    EXPECT_EQ(manifest["results"]["ok"], 36);
    EXPECT_EQ(manifest["results"]["failed"], 1);
  }

  // The same paths and labels, coordinates within float precision.
  static void ExpectRowsNear(const nlohmann::json& expected, const nlohmann::json& actual,
                             const std::string& name) {
    ASSERT_EQ(expected.size(), actual.size()) << name;
    for (size_t r = 0; r < expected.size(); ++r) {
      EXPECT_EQ(expected[r][0], actual[r][0]) << name;
      EXPECT_EQ(expected[r][1], actual[r][1]) << name;
      auto want = expected[r][2].get<std::vector<float>>();
      auto got = actual[r][2].get<std::vector<float>>();
      ASSERT_EQ(want.size(), got.size()) << name;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_NEAR(got[i], want[i], 1e-5f * (1 + std::abs(want[i]))) << name;
      }
    }
  }

  std::string RunArgs(const std::string& out, const std::string& model = S3Model()) const {
    return "run --input " + S3Input() + " --model " + model + " -o " + out + RunFlags();
  }

  S3TestServer server_{{kBucket}};
  TempDir local_out_;
};

TEST_F(S3Run, InputModelAndOutputOnS3GiveTheLocalRunsParquet) {
  std::string out = std::string("s3://") + kBucket + "/runs/direct";
  auto r = RunCommand(S3Fruits(server_.endpoint(), RunArgs(out)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "extracted 36 of 37 images");
  ExpectSameOutputs("runs/direct");

  auto inspect = RunCommand(S3Fruits(server_.endpoint(), "inspect " + out));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  ExpectContains(inspect.out, "run         " + out + " (complete");
  auto part =
      RunCommand(S3Fruits(server_.endpoint(), "inspect " + out + "/pca/part-00000.parquet"));
  ASSERT_EQ(part.exit_code, 0) << part.err;
  ExpectContains(part.out, "rows        10");
}

TEST_F(S3Run, TwoMpiProcessesGiveTheSameOutputs) {
  std::string out = std::string("s3://") + kBucket + "/runs/mpi";
  // mpirun hands the environment (credentials, region) to the processes it starts here.
  auto r = RunCommand(
      "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true "
      "AWS_REGION=us-east-1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
      "mpirun --oversubscribe -np 2 " +
      ShellQuote(FRUITS_BINARY) + " " + RunArgs(out) + " --s3-endpoint " + server_.endpoint());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectSameOutputs("runs/mpi", Pca::kNear);
}

TEST_F(S3Run, FaultsOnTheWayGiveTheSameOutputs) {
  FaultProxy proxy(server_.port(), "pass,503,pass,pass,cut,pass,reset,pass,pass,stall,pass",
                   /*stall_seconds=*/4);
  std::string out = std::string("s3://") + kBucket + "/runs/faults";
  auto r = RunCommand(S3Fruits(proxy.endpoint(), RunArgs(out) + " --s3-stall-timeout 1"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectSameOutputs("runs/faults");
  testing::FaultProxyStats stats = proxy.Stats();
  for (const char* kind : {"503", "cut", "reset", "stall"})
    EXPECT_GE(stats.faults[kind], 2) << kind;
}

TEST_F(S3Run, EndlessFaultsEndTheRunWithinTheBound) {
  FaultProxy proxy(server_.port(), FaultProxy::Always{"503"});
  auto r = RunCommand(S3Fruits(
      proxy.endpoint(), RunArgs(std::string("s3://") + kBucket + "/x") + " --s3-max-attempts 3"));
  EXPECT_NE(r.exit_code, 0);
  ExpectContains(r.err, "S3 answered 503");
  ExpectContains(r.err, "gave up after 3 attempts");
  // The first request that fails ends the run: 3 attempts of it, nothing after.
  EXPECT_EQ(proxy.Stats().requests, 3);
}

TEST_F(S3Run, WrongSecretUnknownBucketAndMissingKeyAreClear) {
  FaultProxy verifier(server_.port(), "pass", {.verify_secret = "S3RVER"});
  std::string out = std::string("s3://") + kBucket + "/runs/refused";

  auto wrong_secret = RunCommand(S3Fruits(verifier.endpoint(), RunArgs(out), "not-the-secret"));
  EXPECT_NE(wrong_secret.exit_code, 0);
  ExpectContains(wrong_secret.err, "403 SignatureDoesNotMatch");
  ExpectContains(wrong_secret.err, "the secret key does not match access key id S3RVER");
  EXPECT_EQ(wrong_secret.err.find("not-the-secret"), std::string::npos) << wrong_secret.err;
  // Refusals are not retried: the first refused request (a HEAD) ends the run, after the one GET
  // of one byte that asks S3 why (a HEAD answer has no body to say it).
  EXPECT_EQ(verifier.Stats().rejected, 2);
  EXPECT_EQ(verifier.Stats().requests, 0);

  auto no_bucket =
      RunCommand(S3Fruits(server_.endpoint(), "run --input s3://no-such-bucket/images --model " +
                                                  S3Model() + " -o " + out));
  EXPECT_NE(no_bucket.exit_code, 0);
  ExpectContains(no_bucket.err, "bucket 'no-such-bucket' does not exist");

  auto no_model = RunCommand(S3Fruits(
      server_.endpoint(), RunArgs(out, std::string("s3://") + kBucket + "/models/none.onnx")));
  EXPECT_NE(no_model.exit_code, 0);
  ExpectContains(no_model.err, "s3://fruits-bucket/models/none.onnx");

  auto bad_uri = RunCommand(S3Fruits(server_.endpoint(), RunArgs("s3://Bad_Bucket/out")));
  EXPECT_EQ(bad_uri.exit_code, 2);
  ExpectContains(bad_uri.err, "does not name an S3 bucket");
}

// `fruits model quantize` with the model, the calibration images and the int8 file on S3 (every
// request's signature checked): the same file as from local files, but for the metadata naming
// where the images were, and the same report.
TEST_F(S3Run, QuantizeOnTheBucketWritesTheLocalInt8File) {
  const std::string flags = " --images 24 --holdout 12 --threads 2 -q";
  const std::string local_int8 = local_out_.File("m.int8.onnx");
  const std::string local_report = local_out_.File("local_report.json");
  const std::string s3_report = local_out_.File("s3_report.json");
  auto r = Fruits("model quantize --model " + ShellQuote(Model()) + " --calibration " +
                  ShellQuote(Training()) + " -o " + ShellQuote(local_int8) + " --report " +
                  ShellQuote(local_report) + flags);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  FaultProxy verifier(server_.port(), "pass", {.verify_secret = "S3RVER"});
  const std::string s3_int8 = std::string("s3://") + kBucket + "/models/m.int8.onnx";
  r = RunCommand(S3Fruits(verifier.endpoint(),
                          "model quantize --model " + S3Model() + " --calibration " + S3Input() +
                              " -o " + s3_int8 + " --report " + ShellQuote(s3_report) + flags));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(verifier.Stats().rejected, 0);

  const nlohmann::json local = testing::ReadJson(local_report), s3 = testing::ReadJson(s3_report);
  EXPECT_EQ(s3["output"], s3_int8);
  EXPECT_EQ(s3["unreadable_images"], 1);  // Banana/corrupt.jpg, in both
  for (const char* key : {"calibration_images", "holdout_images", "unreadable_images", "cosine",
                          "nearest_centroid_accuracy", "quantized_nodes", "float_nodes"}) {
    EXPECT_EQ(local[key], s3[key]) << key;
  }
  // onnx reads both files: equal but for the calibration's description.
  const std::string s3_file = server_.ObjectPath(kBucket, "models/m.int8.onnx").string();
  const auto onnx =
      RunCommand("/usr/bin/python3 -c " +
                 ShellQuote("import onnx, sys\n"
                            "a, b = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])\n"
                            "da = {p.key: p.value for p in a.metadata_props}\n"
                            "db = {p.key: p.value for p in b.metadata_props}\n"
                            "print(db.pop('fruits.quantization'))\n"
                            "da.pop('fruits.quantization')\n"
                            "del a.metadata_props[:], b.metadata_props[:]\n"
                            "print(da == db, a.SerializeToString() == b.SerializeToString())") +
                 " " + ShellQuote(local_int8) + " " + ShellQuote(s3_file));
  ASSERT_EQ(onnx.exit_code, 0) << onnx.err;
  ExpectContains(onnx.out, "of '" + S3Input() + "'");
  ExpectContains(onnx.out, "\nTrue True\n");
}

}  // namespace
}  // namespace fruits
