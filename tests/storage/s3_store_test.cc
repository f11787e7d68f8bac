// S3Store against a real S3 server on loopback (s3rver), directly and through the fault proxy.
// What s3rver stores is checked on its disk, independently of our reader.
#include "storage/s3/s3_store.h"

#include <gtest/gtest.h>

#include <random>

#include "support/fault_proxy.h"
#include "support/read_file.h"
#include "support/s3_test_server.h"
#include "util/error.h"

namespace fruits::storage {
namespace {

using testing::FaultProxy;
using testing::S3TestServer;

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  return bytes;
}

AwsEnvironment Keys(const std::string& access_key, const std::string& secret) {
  return AwsEnvironment({{"AWS_ACCESS_KEY_ID", access_key},
                         {"AWS_SECRET_ACCESS_KEY", secret},
                         {"AWS_EC2_METADATA_DISABLED", "true"}});
}

S3Options TestOptions(const std::string& endpoint) {
  S3Options options;
  options.endpoint = endpoint;
  options.region = "us-east-1";
  options.multipart_threshold = uint64_t{5} << 20;
  options.backoff_base_seconds = 0.01;
  options.backoff_cap_seconds = 0.1;
  options.max_attempts = 8;
  options.max_retry_seconds = 30;
  options.stall_timeout_seconds = 1;
  return options;
}

void Put(ObjectStore& store, const std::string& uri, std::string_view bytes) {
  auto file = store.NewWritableFile(uri);
  file->Append(bytes);
  file->Commit();
}

class S3StoreTest : public ::testing::Test {
 protected:
  S3TestServer server_{{"fruits-test"}};
  S3Store store_{TestOptions(server_.endpoint()), Keys("S3RVER", "S3RVER")};
};

TEST_F(S3StoreTest, PutThenReadKeepsEveryByteOfOddKeys) {
  const std::string bytes = RandomBytes(100'000, 1);
  const std::string key = "Training/Apple Red 1/0_100 (copy)+é.jpg";
  Put(store_, "s3://fruits-test/" + key, bytes);
  EXPECT_EQ(testing::ReadFile(server_.ObjectPath("fruits-test", key).string()), bytes);
  Result<std::string> read = store_.Read("s3://fruits-test/" + key);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(read.value(), bytes);
}

TEST_F(S3StoreTest, ReadsEmptyAndLargeObjects) {
  Put(store_, "s3://fruits-test/empty", "");
  Result<std::string> empty = store_.Read("s3://fruits-test/empty");
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_EQ(empty.value(), "");

  // Larger than one buffer of curl's and than a multipart part.
  const std::string large = RandomBytes((uint64_t{7} << 20) + 12345, 2);
  Put(store_, "s3://fruits-test/large.bin", large);
  Result<std::string> read = store_.Read("s3://fruits-test/large.bin");
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_TRUE(read.value() == large);
}

TEST_F(S3StoreTest, MultipartUploadAboveTheThreshold) {
  // 12 MiB + 7 bytes in appends of 1 MiB: parts of 5, 5 and 2 MiB + 7 bytes.
  const std::string bytes = RandomBytes((uint64_t{12} << 20) + 7, 3);
  auto file = store_.NewWritableFile("s3://fruits-test/features/part-00000.parquet");
  for (size_t offset = 0; offset < bytes.size(); offset += 1 << 20) {
    file->Append(std::string_view(bytes).substr(offset, 1 << 20));
  }
  EXPECT_EQ(file->size(), bytes.size());
  EXPECT_FALSE(store_.Exists("s3://fruits-test/features/part-00000.parquet"))
      << "visible before Commit()";
  file->Commit();
  EXPECT_TRUE(testing::ReadFile(
                  server_.ObjectPath("fruits-test", "features/part-00000.parquet").string()) ==
              bytes);
  // s3rver writes a multipart object's ETag as a plain MD5 of the whole; a single PUT of the
  // same bytes gives the same one, so compare content through the reader too.
  Result<std::string> read = store_.Read("s3://fruits-test/features/part-00000.parquet");
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_TRUE(read.value() == bytes);
}

TEST_F(S3StoreTest, UncommittedFileLeavesNoObject) {
  {
    auto file = store_.NewWritableFile("s3://fruits-test/abandoned.bin");
    file->Append(RandomBytes((uint64_t{11} << 20), 4));  // a multipart upload is under way
  }
  {
    auto file = store_.NewWritableFile("s3://fruits-test/small.bin");
    file->Append("never committed");
  }
  EXPECT_FALSE(store_.Exists("s3://fruits-test/abandoned.bin"));
  EXPECT_FALSE(store_.Exists("s3://fruits-test/small.bin"));
}

TEST_F(S3StoreTest, WritesAskForServerSideEncryptionAndAreSigned) {
  FaultProxy proxy(server_.port(), "pass", {.verify_secret = "S3RVER"});
  S3Options options = TestOptions(proxy.endpoint());
  S3Store sse_s3(options, Keys("S3RVER", "S3RVER"));
  Put(sse_s3, "s3://fruits-test/sse/default", "x");
  auto large = sse_s3.NewWritableFile("s3://fruits-test/sse/multipart");
  large->Append(RandomBytes((uint64_t{6} << 20), 6));
  large->Commit();
  options.sse = "aws:kms";
  options.sse_kms_key_id = "arn:aws:kms:eu-west-3:111122223333:key/test";
  Put(*std::make_unique<S3Store>(options, Keys("S3RVER", "S3RVER")), "s3://fruits-test/sse/kms",
      "x");
  options.sse = "none";
  options.sse_kms_key_id = "";
  Put(*std::make_unique<S3Store>(options, Keys("S3RVER", "S3RVER")), "s3://fruits-test/sse/none",
      "x");
  testing::FaultProxyStats stats = proxy.Stats();
  EXPECT_EQ(stats.encryption["AES256"], 2);  // the PUT and the multipart upload's creation
  EXPECT_EQ(stats.encryption["aws:kms arn:aws:kms:eu-west-3:111122223333:key/test"], 1);
  EXPECT_EQ(stats.encryption["none"], 1);
  EXPECT_EQ(stats.rejected, 0);
}

TEST_F(S3StoreTest, UnsignedRequestsNeedNoCredentials) {
  Put(store_, "s3://fruits-test/public/a.jpg", "public bytes");
  S3Options options = TestOptions(server_.endpoint());
  options.anonymous = true;
  S3Store anonymous(
      options,
      AwsEnvironment(std::map<std::string, std::string>{{"AWS_EC2_METADATA_DISABLED", "true"}}));
  ASSERT_EQ(anonymous.List("s3://fruits-test/public").size(), 1u);
  EXPECT_EQ(anonymous.Read("s3://fruits-test/public/a.jpg").value(), "public bytes");
}

TEST_F(S3StoreTest, AFileTakesNoBytesAfterCommit) {
  auto file = store_.NewWritableFile("s3://fruits-test/once");
  file->Append("abc");
  file->Commit();
  EXPECT_THROW(file->Append("more"), Error);
  EXPECT_THROW(file->Commit(), Error);
  EXPECT_EQ(store_.Read("s3://fruits-test/once").value(), "abc");
}

TEST_F(S3StoreTest, ListsMoreThanOnePageInByteOrderWithoutHiddenKeys) {
  std::vector<std::string> uris;
  for (int i = 0; i < 1200; ++i) {
    char name[64];
    std::snprintf(name, sizeof(name), "s3://fruits-test/images/%s/%04d.jpg",
                  i % 2 ? "Banana" : "Apple Red 1", i);
    uris.push_back(name);
  }
  // Written concurrently through many small PUTs would be faster; one by one is simple.
  for (const std::string& uri : uris) Put(store_, uri, "x");
  Put(store_, "s3://fruits-test/images/.hidden/0.jpg", "x");
  Put(store_, "s3://fruits-test/images/Banana/.part.tmp", "x");
  Put(store_, "s3://fruits-test/images-other/0.jpg", "x");
  std::sort(uris.begin(), uris.end());

  std::vector<ObjectInfo> listed = store_.List("s3://fruits-test/images");
  ASSERT_EQ(listed.size(), uris.size());
  for (size_t i = 0; i < uris.size(); ++i) {
    EXPECT_EQ(listed[i].uri, uris[i]);
    EXPECT_EQ(listed[i].size, 1u);
  }
  EXPECT_EQ(store_.List("s3://fruits-test/images/").size(), uris.size());
  EXPECT_TRUE(store_.List("s3://fruits-test/nothing-here").empty());
}

TEST_F(S3StoreTest, ReadManyReturnsEachObjectOrWhyNot) {
  std::vector<std::string> uris;
  for (int i = 0; i < 40; ++i) {
    uris.push_back("s3://fruits-test/batch/" + std::to_string(i));
    Put(store_, uris.back(), RandomBytes(1000 + i, i));
  }
  uris.insert(uris.begin() + 7, "s3://fruits-test/batch/missing");
  std::vector<Result<std::string>> read = store_.ReadMany(uris);
  ASSERT_EQ(read.size(), uris.size());
  for (size_t i = 0; i < uris.size(); ++i) {
    if (i == 7) {
      ASSERT_FALSE(read[i].ok());
      EXPECT_NE(read[i].error().find("no object s3://fruits-test/batch/missing"), std::string::npos)
          << read[i].error();
      continue;
    }
    int n = static_cast<int>(i < 7 ? i : i - 1);
    ASSERT_TRUE(read[i].ok()) << read[i].error();
    EXPECT_EQ(read[i].value(), RandomBytes(1000 + n, n));
  }
}

TEST_F(S3StoreTest, RandomAccessReadsRanges) {
  const std::string bytes = RandomBytes(50'000, 5);
  Put(store_, "s3://fruits-test/ranges.bin", bytes);
  auto file = store_.NewRandomAccessFile("s3://fruits-test/ranges.bin");
  EXPECT_EQ(file->size(), bytes.size());
  std::string out;
  file->ReadAt(0, 1, &out);
  EXPECT_EQ(out, bytes.substr(0, 1));
  file->ReadAt(49'990, 10, &out);
  EXPECT_EQ(out, bytes.substr(49'990));
  file->ReadAt(1234, 20'000, &out);
  EXPECT_EQ(out, bytes.substr(1234, 20'000));
  EXPECT_THROW(file->ReadAt(49'990, 11, &out), Error);
  EXPECT_THROW(store_.NewRandomAccessFile("s3://fruits-test/none.bin"), Error);
}

TEST_F(S3StoreTest, ExistsForObjectsAndFoldersAndRemove) {
  Put(store_, "s3://fruits-test/out/features/part-00000.parquet", "x");
  EXPECT_TRUE(store_.Exists("s3://fruits-test/out/features/part-00000.parquet"));
  EXPECT_TRUE(store_.Exists("s3://fruits-test/out/features"));
  EXPECT_TRUE(store_.Exists("s3://fruits-test/out"));
  EXPECT_FALSE(store_.Exists("s3://fruits-test/out/feat"));
  EXPECT_TRUE(store_.Exists("s3://fruits-test"));
  store_.Remove("s3://fruits-test/out/features/part-00000.parquet");
  EXPECT_FALSE(store_.Exists("s3://fruits-test/out/features"));
  store_.Remove("s3://fruits-test/out/features/part-00000.parquet");  // gone already: fine
}

TEST_F(S3StoreTest, UnknownBucketAndMissingKeyAreClearAndPrompt) {
  // Through a proxy that passes everything, to count the requests.
  FaultProxy proxy(server_.port(), "pass");
  S3Store store(TestOptions(proxy.endpoint()), Keys("S3RVER", "S3RVER"));
  try {
    store.List("s3://no-such-bucket/images");
    FAIL() << "listed a missing bucket";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("404 NoSuchBucket"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bucket 'no-such-bucket' does not exist"),
              std::string::npos)
        << e.what();
  }
  Result<std::string> missing = store.Read("s3://fruits-test/missing.jpg");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("404 NoSuchKey"), std::string::npos) << missing.error();
  EXPECT_FALSE(store.Exists("s3://no-such-bucket"));
  // Prompt: one request each, none retried.
  EXPECT_EQ(proxy.Stats().requests, 3);
}

TEST_F(S3StoreTest, ExistsThrowsWhenItCannotTell) {
  // Missing is an answer: false (PutThenReadKeepsEveryByteOfOddKeys checks more).
  EXPECT_FALSE(store_.Exists("s3://fruits-test/missing/part-00000.parquet"));

  // No answer once the retries ran out: the store cannot tell.
  FaultProxy failing(server_.port(), FaultProxy::Always{"503"});
  S3Options options = TestOptions(failing.endpoint());
  options.max_attempts = 3;
  S3Store unreachable(options, Keys("S3RVER", "S3RVER"));
  std::string uri = "s3://fruits-test/out/manifest.json";
  try {
    unreachable.Exists(uri);
    FAIL() << "Exists answered without an answer";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("cannot tell whether " + uri + " exists"), std::string::npos) << message;
    EXPECT_NE(message.find("gave up after 3 attempts"), std::string::npos) << message;
  }

  // Refused (here a wrong secret; the same for a policy without s3:ListBucket): cannot tell.
  FaultProxy verifier(server_.port(), "pass", {.verify_secret = "S3RVER"});
  S3Store refused(TestOptions(verifier.endpoint()), Keys("S3RVER", "not-the-secret"));
  try {
    refused.Exists(uri);
    FAIL() << "Exists answered although refused";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("cannot tell whether " + uri + " exists"), std::string::npos) << message;
    EXPECT_NE(message.find("403"), std::string::npos) << message;
  }
}

TEST_F(S3StoreTest, UnknownAccessKeyNamesItButNeverTheSecret) {
  S3Store store(TestOptions(server_.endpoint()), Keys("AKIAUNKNOWN", "s3cr3t-never-shown"));
  try {
    store.List("s3://fruits-test/images");
    FAIL() << "listed with an unknown key";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("403 InvalidAccessKeyId"), std::string::npos) << message;
    EXPECT_NE(message.find("AKIAUNKNOWN (from environment)"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cr3t-never-shown"), std::string::npos) << message;
  }
}

TEST_F(S3StoreTest, RidesOutServerErrorsResetsCutsAndStalls) {
  FaultProxy proxy(server_.port(), "503,pass,reset,cut,pass,stall,pass,pass", /*stall_seconds=*/5);
  S3Store store(TestOptions(proxy.endpoint()), Keys("S3RVER", "S3RVER"));
  std::vector<std::string> uris;
  for (int i = 0; i < 12; ++i) {
    uris.push_back("s3://fruits-test/faults/" + std::to_string(i));
    Put(store, uris.back(), RandomBytes(20'000 + i, 100 + i));
  }
  for (int i = 0; i < 12; ++i) {
    Result<std::string> read = store.Read(uris[i]);
    ASSERT_TRUE(read.ok()) << read.error();
    EXPECT_EQ(read.value(), RandomBytes(20'000 + i, 100 + i));
  }
  std::vector<Result<std::string>> many = store.ReadMany(uris);
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(many[i].ok()) << many[i].error();
    EXPECT_EQ(many[i].value(), RandomBytes(20'000 + i, 100 + i));
  }
  EXPECT_EQ(store.List("s3://fruits-test/faults").size(), 12u);
  testing::FaultProxyStats stats = proxy.Stats();
  for (const char* kind : {"503", "reset", "cut", "stall"}) {
    EXPECT_GE(stats.faults[kind], 3) << kind;
  }
}

TEST_F(S3StoreTest, GivesUpWithinTheBoundWhenFaultsNeverStop) {
  FaultProxy proxy(server_.port(), FaultProxy::Always{"503"});
  S3Options options = TestOptions(proxy.endpoint());
  options.max_attempts = 4;
  S3Store store(options, Keys("S3RVER", "S3RVER"));
  Result<std::string> read = store.Read("s3://fruits-test/anything");
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().find("503 SlowDown"), std::string::npos) << read.error();
  EXPECT_NE(read.error().find("gave up after 4 attempts"), std::string::npos) << read.error();
  EXPECT_EQ(proxy.Stats().requests, 4);
  EXPECT_THROW(Put(store, "s3://fruits-test/x", "bytes"), Error);
  EXPECT_EQ(proxy.Stats().requests, 8);  // 4 attempts each, no more
}

}  // namespace
}  // namespace fruits::storage
