// Catalog: what is listed, in which order, with which labels, and how it is sharded.

#include "pipeline/catalog.h"

#include <gtest/gtest.h>

#include <fstream>

#include "storage/local_store.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::pipeline {
namespace {

using testing::TempDir;

void Touch(const std::filesystem::path& path, const std::string& bytes = "x") {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << bytes;
}

std::vector<std::string> Relative(const Catalog& catalog, const std::string& root) {
  std::vector<std::string> names;
  for (const auto& e : catalog.entries()) names.push_back(e.uri.substr(root.size() + 1));
  return names;
}

TEST(Catalog, FolderGivesImagesInOrderWithParentFolderLabels) {
  TempDir dir;
  const std::string root = dir.File("Training");
  Touch(dir.path() / "Training" / "Kiwi" / "2_100.jpg");
  Touch(dir.path() / "Training" / "Apple Red 1" / "r_1_100.JPG");
  Touch(dir.path() / "Training" / "Kiwi" / "10_100.jpeg");
  Touch(dir.path() / "Training" / "Pomme Épicée" / "ünïcode name.PnG");
  Touch(dir.path() / "Training" / "Kiwi" / "notes.txt");
  Touch(dir.path() / "Training" / "Kiwi" / "x.webp");
  Touch(dir.path() / "Training" / "Kiwi" / "y.Bmp");
  Touch(dir.path() / "Training" / "Kiwi" / "archive.jpg.zip");
  storage::LocalStore store;
  Catalog catalog = Catalog::FromFolder(store, root, {});
  EXPECT_EQ(
      Relative(catalog, root),
      (std::vector<std::string>{"Apple Red 1/r_1_100.JPG", "Kiwi/10_100.jpeg", "Kiwi/2_100.jpg",
                                "Kiwi/x.webp", "Kiwi/y.Bmp", "Pomme Épicée/ünïcode name.PnG"}));
  EXPECT_EQ(catalog.entries()[0].label, "Apple Red 1");
  EXPECT_EQ(catalog.entries()[5].label, "Pomme Épicée");
  EXPECT_EQ(catalog.skipped(), 2);
  EXPECT_EQ(Catalog::FromFolder(store, root, {.label_from = LabelSource::kNone}).entries()[0].label,
            "");
}

TEST(Catalog, ListFileKeepsItsOrderAndResolvesRelativePaths) {
  TempDir dir;
  Touch(dir.path() / "lists" / "images.txt",
        "# two fruits\n"
        "Banana/b 1.jpg\r\n"
        "\n" +
            dir.File("abs/Kiwi/k.png") +
            "\n"
            "readme.md\n");
  storage::LocalStore store;
  Catalog catalog = Catalog::FromListFile(store, dir.File("lists/images.txt"), {});
  ASSERT_EQ(catalog.size(), 2u);
  EXPECT_EQ(catalog.entries()[0].uri, dir.File("lists/Banana/b 1.jpg"));
  EXPECT_EQ(catalog.entries()[0].label, "Banana");
  EXPECT_EQ(catalog.entries()[1].uri, dir.File("abs/Kiwi/k.png"));
  EXPECT_EQ(catalog.entries()[1].label, "Kiwi");
  EXPECT_EQ(catalog.skipped(), 1);
}

// A list file in a subfolder: only relative lines take its folder; absolute paths and URIs of any
// scheme stay as written.
TEST(Catalog, ListFileKeepsAbsolutePathsAndUrisAsWritten) {
  TempDir dir;
  Touch(dir.path() / "lists" / "images.txt",
        "s3://some-bucket/Training/Kiwi/a.jpg\n"
        "gs://other/Banana/b.png\n"
        "https://example.com/photos/Plum/c.jpeg\n"
        "/data/Training/Lemon/d.jpg\n"
        "Fig/e.jpg\n");
  storage::LocalStore store;
  Catalog catalog = Catalog::FromListFile(store, dir.File("lists/images.txt"), {});
  std::vector<std::string> uris;
  for (const auto& e : catalog.entries()) uris.push_back(e.uri);
  EXPECT_EQ(uris, (std::vector<std::string>{
                      "s3://some-bucket/Training/Kiwi/a.jpg", "gs://other/Banana/b.png",
                      "https://example.com/photos/Plum/c.jpeg", "/data/Training/Lemon/d.jpg",
                      dir.File("lists/Fig/e.jpg")}));
  EXPECT_EQ(catalog.entries()[0].label, "Kiwi");
  EXPECT_EQ(catalog.entries()[2].label, "Plum");
}

TEST(Catalog, NothingToReadIsAUsageErrorSayingWhy) {
  TempDir dir;
  storage::LocalStore store;
  EXPECT_THROW(Catalog::FromFolder(store, dir.File("missing"), {}), UsageError);
  Touch(dir.path() / "docs" / "a.txt");
  try {
    Catalog::FromFolder(store, dir.File("docs"), {});
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no images"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(1 other files)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Catalog::FromListFile(store, dir.File("none.txt"), {}), UsageError);
}

TEST(Catalog, ShardsCoverEveryImageOnceAndDigestsNameTheirInputs) {
  TempDir dir;
  for (int i = 0; i < 25; ++i) Touch(dir.path() / "in" / "L" / (std::to_string(100 + i) + ".jpg"));
  storage::LocalStore store;
  Catalog catalog = Catalog::FromFolder(store, dir.File("in"), {});
  auto shards = catalog.Shards(10);
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_EQ(shards[2].id, 2);
  EXPECT_EQ(shards[2].begin, 20u);
  EXPECT_EQ(shards[2].size(), 5u);
  EXPECT_EQ(catalog.Shards(25).size(), 1u);
  EXPECT_NE(catalog.ShardDigest(shards[0]), catalog.ShardDigest(shards[1]));
  EXPECT_EQ(catalog.ShardDigest(shards[0]),
            Catalog::FromFolder(store, dir.File("in"), {}).ShardDigest(shards[0]));
  Touch(dir.path() / "in" / "L" / "000.jpg");  // shifts every shard's inputs
  EXPECT_NE(catalog.ShardDigest(shards[0]),
            Catalog::FromFolder(store, dir.File("in"), {}).ShardDigest(shards[0]));
}

TEST(Catalog, SerializedCatalogsComeBackWhole) {
  TempDir dir;
  Touch(dir.path() / "in" / "Kiwi" / "a b.jpg", "12345");
  Touch(dir.path() / "in" / "Pomme Épicée" / "ü.png");
  Touch(dir.path() / "in" / "notes.txt");
  storage::LocalStore store;
  Catalog catalog = Catalog::FromFolder(store, dir.File("in"), {});
  Catalog copy = Catalog::Deserialize(catalog.Serialize());
  ASSERT_EQ(copy.size(), 2u);
  EXPECT_EQ(copy.skipped(), 1);
  EXPECT_EQ(copy.entries()[0].uri, catalog.entries()[0].uri);
  EXPECT_EQ(copy.entries()[0].size, 5u);
  EXPECT_EQ(copy.entries()[1].label, "Pomme Épicée");
  EXPECT_EQ(copy.ShardDigest({0, 0, 2}), catalog.ShardDigest({0, 0, 2}));
  std::string bytes = catalog.Serialize();
  EXPECT_THROW(Catalog::Deserialize(bytes.substr(0, bytes.size() - 1)), Error);
  EXPECT_THROW(Catalog::Deserialize(bytes + "x"), Error);
}

}  // namespace
}  // namespace fruits::pipeline
