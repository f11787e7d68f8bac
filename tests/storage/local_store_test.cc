#include "storage/local_store.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

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
  in->ReadAt(in->size() - 3, 3, &bytes);
  EXPECT_EQ(bytes, "end");
  EXPECT_THROW(in->ReadAt(in->size() - 2, 3, &bytes), Error);
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
  in->ReadAt(0, in->size(), &bytes);
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

void Touch(const std::filesystem::path& path, const std::string& bytes = "x") {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << bytes;
}

TEST(LocalStore, ListIsRecursiveSortedAndSkipsHiddenNames) {
  TempDir dir;
  const auto root = dir.path() / "in";
  Touch(root / "b" / "2.jpg", "22");
  Touch(root / "a b" / "é.jpg");
  Touch(root / "a" / "1.jpg");
  Touch(root / ".hidden" / "3.jpg");
  Touch(root / "a" / ".4.jpg");
  LocalStore store;
  auto objects = store.List(root.string());
  std::vector<std::string> names;
  for (const auto& o : objects) names.push_back(o.uri.substr(root.string().size() + 1));
  EXPECT_EQ(names, (std::vector<std::string>{"a b/é.jpg", "a/1.jpg", "b/2.jpg"}));
  EXPECT_EQ(objects[2].size, 2u);
}

TEST(LocalStore, ListSurvivesSymbolicLinkLoops) {
  TempDir dir;
  const auto root = dir.path() / "in";
  Touch(root / "a" / "1.jpg");
  std::filesystem::create_directory_symlink(root, root / "a" / "loop");
  std::filesystem::create_directory_symlink(root / "a", root / "again");
  std::filesystem::create_symlink(root / "missing", root / "dangling.jpg");
  LocalStore store;
  auto objects = store.List(root.string());
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].uri, (root / "a" / "1.jpg").string());
}

TEST(LocalStore, ListingWhatIsNotAFolderThrows) {
  TempDir dir;
  LocalStore store;
  EXPECT_THROW(store.List(dir.File("missing")), Error);
  Touch(dir.path() / "file");
  EXPECT_THROW(store.List(dir.File("file")), Error);
}

TEST(LocalStore, ReadGivesTheBytesOrTheReason) {
  TempDir dir;
  Touch(dir.path() / "f", std::string("a\0b", 3));
  LocalStore store;
  auto bytes = store.Read(dir.File("f"));
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes.value(), std::string("a\0b", 3));
  auto missing = store.Read(dir.File("missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "No such file or directory");
  auto folder = store.Read(dir.path().string());
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.error(), "Is a directory");
}

}  // namespace
}  // namespace fruits::storage

namespace fruits::storage {
namespace {

TEST(LocalStore, ExistsIsTrueOrFalseWhenItCanTell) {
  TempDir dir;
  LocalStore store;
  std::ofstream(dir.File("file")) << "x";
  std::filesystem::create_directory(dir.path() / "folder");
  std::filesystem::create_symlink(dir.File("nowhere"), dir.path() / "dangling");
  EXPECT_TRUE(store.Exists(dir.File("file")));
  EXPECT_TRUE(store.Exists(dir.File("folder")));
  EXPECT_FALSE(store.Exists(dir.File("missing")));
  EXPECT_FALSE(store.Exists(dir.File("missing/below")));
  EXPECT_FALSE(store.Exists(dir.File("dangling")));
  // A path through a regular file: nothing can be there (ENOTDIR).
  EXPECT_FALSE(store.Exists(dir.File("file/below")));
}

TEST(LocalStore, ExistsThrowsWhenItCannotTell) {
  // A symbolic link loop: even root cannot say what is behind it (ELOOP).
  TempDir dir;
  LocalStore store;
  std::filesystem::create_symlink(dir.path() / "loop", dir.path() / "loop");
  for (const std::string& path : {dir.File("loop"), dir.File("loop/part-00000.parquet")}) {
    try {
      store.Exists(path);
      FAIL() << "Exists answered for " << path;
    } catch (const Error& e) {
      std::string message = e.what();
      EXPECT_NE(message.find("cannot tell whether '" + path + "' exists"), std::string::npos)
          << message;
      EXPECT_NE(message.find(std::strerror(ELOOP)), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace fruits::storage
