// `fruits dataset sample` as users run it: the files it writes, its help, and its usage errors.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "support/fruits_cli.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fruits {
namespace {

namespace fs = std::filesystem;
using testing::ExpectContains;
using testing::Fruits;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

// Every file under `root`, by path relative to it, with its bytes.
std::map<std::string, std::string> ReadTree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files[fs::relative(entry.path(), root).string()].assign(std::istreambuf_iterator<char>(in), {});
  }
  return files;
}

constexpr char kSmallSet[] = "--classes 3 --per-class 2 --test-per-class 1 --multi-fruit 1";

TEST(DatasetCli, SampleWritesAFruits360Layout) {
  TempDir dir;
  std::string out = dir.File("fruits");
  auto r = Fruits("dataset sample -o " + ShellQuote(out) + " " + kSmallSet + " --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "wrote 10 images of 3 labels to " + out);

  auto files = ReadTree(out);
  EXPECT_EQ(files.size(), 10u);
  for (const char* path :
       {"Training/Apple Red 1/0_100.jpg", "Training/Apple Red 1/1_100.jpg",
        "Training/Banana/1_100.jpg", "Training/Orange/0_100.jpg", "Test/Apple Red 1/0_100.jpg",
        "Test/Banana/0_100.jpg", "Test/Orange/0_100.jpg"}) {
    EXPECT_TRUE(files.count(path)) << path;
  }
  int multi = 0;
  for (const auto& [path, bytes] : files) {
    EXPECT_EQ(bytes.substr(0, 3), "\xFF\xD8\xFF") << path << " is not a JPEG";
    multi += path.rfind("test-multiple-fruits/", 0) == 0;
  }
  EXPECT_EQ(multi, 1);
}

TEST(DatasetCli, TheSameFlagsGiveTheSameFiles) {
  TempDir dir;
  for (const char* name : {"a", "b"}) {
    auto r = Fruits("dataset sample -o " + ShellQuote(dir.File(name)) + " " + kSmallSet);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(ReadTree(dir.File("a")), ReadTree(dir.File("b")));
}

TEST(DatasetCli, HelpDescribesTheLayoutAndTheFlags) {
  auto r = Fruits("dataset sample --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* expected : {"Fruits-360", "Training/<Label>/<i>_100.jpg", "test-multiple-fruits",
                               "FOR TESTS AND DEMOS", "--classes", "Apple Red 1, Banana",
                               "--per-class", "--test-per-class", "--multi-fruit", "--seed"}) {
    ExpectContains(r.out, expected);
  }
}

TEST(DatasetCli, BadFlagsAreUsageErrors) {
  TempDir dir;
  std::string out = " -o " + ShellQuote(dir.File("out"));
  EXPECT_EQ(Fruits("dataset sample" + out + " --bogus").exit_code, 2);
  EXPECT_EQ(Fruits("dataset sample --classes 2").exit_code, 2);  // no -o
  EXPECT_EQ(Fruits("dataset sample" + out + " --per-class many").exit_code, 2);
  EXPECT_EQ(Fruits("dataset").exit_code, 2);

  auto r = Fruits("dataset sample" + out + " --classes 40");
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "classes must be between 1 and");
  r = Fruits("dataset sample" + out + " --per-class -1");
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "per-class must be between 0 and 100000");
  EXPECT_FALSE(fs::exists(dir.File("out")));
}

}  // namespace
}  // namespace fruits
