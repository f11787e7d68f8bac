// StoreRegistry: URIs go to the store their scheme names, made once and only when needed; local
// paths to LocalStore; a scheme no store registered is refused with a message.
#include "storage/store_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::storage {
namespace {

using fruits::testing::TempDir;

// A remote store that knows one object, "mem://bucket/a", and counts its instances.
class MemoryStore : public ObjectStore {
 public:
  explicit MemoryStore(std::atomic<int>& made) { ++made; }
  std::vector<ObjectInfo> List(const std::string&) override { return {{"mem://bucket/a", 1}}; }
  Result<std::string> Read(const std::string& uri) override {
    if (uri == "mem://bucket/a") return std::string("A");
    return Result<std::string>::Failure("no " + uri);
  }
  std::vector<Result<std::string>> ReadMany(const std::vector<std::string>& uris) override {
    ++read_many_calls;
    return ObjectStore::ReadMany(uris);
  }
  std::unique_ptr<WritableFile> NewWritableFile(const std::string&) override { return nullptr; }
  std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string&) override {
    return nullptr;
  }
  bool Exists(const std::string& uri) override { return uri == "mem://bucket/a"; }
  bool IsRemote(const std::string&) const override { return true; }
  void Remove(const std::string&) override {}

  int read_many_calls = 0;
};

class StoreRegistryTest : public ::testing::Test {
 protected:
  StoreRegistryTest() {
    registry_.RegisterStore("mem://", [this] {
      auto store = std::make_unique<MemoryStore>(made_);
      memory_ = store.get();
      return store;
    });
  }

  std::atomic<int> made_{0};
  MemoryStore* memory_ = nullptr;
  StoreRegistry registry_;
};

TEST_F(StoreRegistryTest, LocalPathsNeverMakeARegisteredStore) {
  TempDir dir;
  std::ofstream(dir.File("a.txt")) << "local";
  EXPECT_TRUE(registry_.Exists(dir.File("a.txt")));
  EXPECT_EQ(registry_.Read(dir.File("a.txt")).value(), "local");
  EXPECT_EQ(registry_.List(dir.path().string()).size(), 1u);
  EXPECT_FALSE(registry_.IsRemote(dir.File("a.txt")));
  EXPECT_EQ(made_, 0);
}

TEST_F(StoreRegistryTest, ASchemeGoesToItsStoreMadeOnceOnFirstUse) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this] { EXPECT_TRUE(registry_.Exists("mem://bucket/a")); });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(made_, 1);
  EXPECT_TRUE(registry_.IsRemote("mem://bucket/a"));
  EXPECT_EQ(registry_.Read("mem://bucket/a").value(), "A");
  EXPECT_FALSE(registry_.Exists("mem://bucket/b"));
  EXPECT_EQ(registry_.List("mem://bucket")[0].uri, "mem://bucket/a");
  EXPECT_EQ(made_, 1);
}

TEST_F(StoreRegistryTest, ReadManyGoesWholeToOneStoreOnlyWhenAllUrisAreItsOwn) {
  TempDir dir;
  std::ofstream(dir.File("a.txt")) << "local";
  std::vector<Result<std::string>> same = registry_.ReadMany({"mem://bucket/a", "mem://bucket/a"});
  EXPECT_EQ(memory_->read_many_calls, 1);
  std::vector<Result<std::string>> mixed =
      registry_.ReadMany({"mem://bucket/a", dir.File("a.txt")});
  EXPECT_EQ(memory_->read_many_calls, 1);
  ASSERT_EQ(mixed.size(), 2u);
  EXPECT_EQ(mixed[0].value(), "A");
  EXPECT_EQ(mixed[1].value(), "local");
  EXPECT_TRUE(registry_.ReadMany({}).empty());
}

TEST_F(StoreRegistryTest, AnUnknownSchemeIsRefusedNotTakenForAFolder) {
  try {
    registry_.NewWritableFile("gs://bucket/out/part-0");
    FAIL() << "wrote to gs://";
  } catch (const UsageError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("'gs://bucket/out/part-0': this build of fruits has no store for gs://"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("mem://"), std::string::npos) << message;
  }
  EXPECT_EQ(made_, 0);
}

TEST(StoreRegistry, WithoutTheS3StoreAnS3PathSaysHowToGetIt) {
  StoreRegistry registry;
  try {
    registry.List("s3://bucket/images");
    FAIL() << "listed s3:// without an S3 store";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("-DFRUITS_WITH_S3=ON"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fruits::storage
