#include "storage/local_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::storage {
namespace {

using fruits::testing::TempDir;

TEST(LocalStore, WrittenFileAppearsOnlyOnCommit) {
  TempDir dir;
  LocalStore store;
  std::string path = dir.File("sub/folder/file.bin");  // parents are created
  auto file = store.NewWritableFile(path);
  file->Append("hello ");
  file->Append(std::string(3 << 20, 'x'));  // larger than the write buffer
  file->Append("end");
  EXPECT_EQ(file->size(), 6u + (3 << 20) + 3);
  EXPECT_FALSE(store.Exists(path));
  // The temporary is hidden (a dot file), so listings skip it.
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "sub/folder")) {
    EXPECT_EQ(entry.path().filename().string()[0], '.');
  }
  file->Commit();
  EXPECT_TRUE(store.Exists(path));
  EXPECT_EQ(std::filesystem::file_size(path), 6u + (3 << 20) + 3);

  auto in = store.NewRandomAccessFile(path);
  std::string bytes;
  in->ReadAt(0, 6, &bytes);
  EXPECT_EQ(bytes, "hello ");
  in->ReadAt(in->Size() - 3, 3, &bytes);
  EXPECT_EQ(bytes, "end");
  EXPECT_THROW(in->ReadAt(in->Size() - 2, 3, &bytes), Error);
}

TEST(LocalStore, AbandonedFileLeavesNothing) {
  TempDir dir;
  LocalStore store;
  {
    auto file = store.NewWritableFile(dir.File("gone.bin"));
    file->Append("partial");
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(LocalStore, CommitReplacesAnOldFileWhole) {
  TempDir dir;
  LocalStore store;
  std::string path = dir.File("f");
  for (std::string content : {"first version", "second"}) {
    auto file = store.NewWritableFile(path);
    file->Append(content);
    file->Commit();
  }
  auto in = store.NewRandomAccessFile(path);
  std::string bytes;
  in->ReadAt(0, in->Size(), &bytes);
  EXPECT_EQ(bytes, "second");
}

TEST(LocalStore, ErrorsNameThePath) {
  TempDir dir;
  LocalStore store;
  try {
    store.NewRandomAccessFile(dir.File("missing.parquet"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.parquet"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos);
  }
  EXPECT_THROW(store.NewRandomAccessFile(dir.path().string()), Error);  // a folder
  EXPECT_THROW(store.NewWritableFile(dir.File("f") + "/"), UsageError);
  store.Remove(dir.File("never-existed"));  // not an error
}

}  // namespace
}  // namespace fruits::storage
