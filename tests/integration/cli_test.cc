// The fruits binary as users run it: version, help, inspect, and the errors they may meet.

#include <gtest/gtest.h>

#include <fstream>

#include "parquet/writer.h"
#include "storage/local_store.h"
#include "support/fruits_cli.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fruits {
namespace {

using testing::Fruits;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

std::string WriteSample(const TempDir& dir) {
  std::string path = dir.File("sample.parquet");
  std::vector<std::string> paths{"Training/Kiwi/1_100.jpg", "Training/Kiwi/2_100.jpg"};
  std::vector<int64_t> ids{10, 20};
  std::vector<float> features{0.25f, 0.5f, 0.75f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  parquet::WriterOptions options;
  options.metadata = {{"fruits.model", "demo.onnx"}};
  storage::LocalStore store;
  parquet::ParquetWriter writer(store.NewWritableFile(path),
                                parquet::Schema({{"path", parquet::ColumnType::kString},
                                                 {"id", parquet::ColumnType::kInt64},
                                                 {"features", parquet::ColumnType::kFloatList}}),
                                options);
  const parquet::ColumnValues cols[] = {parquet::ColumnValues::Strings(paths),
                                        parquet::ColumnValues::Int64s(ids),
                                        parquet::ColumnValues::FloatRows(features, 8)};
  writer.Write(cols);
  writer.Close();
  return path;
}

TEST(Cli, Version) {
  auto r = Fruits("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("fruits 0.1.0 (git ", 0), 0u) << r.out;
}

TEST(Cli, HelpListsCommandsAndNoCommandIsAUsageError) {
  auto help = Fruits("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("inspect"), std::string::npos) << help.out;
  auto none = Fruits("");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE((none.out + none.err).find("subcommand"), std::string::npos) << none.err;
  auto bad_flag = Fruits("inspect --no-such-flag x.parquet");
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.err.find("--no-such-flag"), std::string::npos) << bad_flag.err;
}

TEST(Cli, InspectShowsSchemaRowsMetadataAndFirstRows) {
  TempDir dir;
  auto r = Fruits("inspect " + ShellQuote(WriteSample(dir)) + " --rows 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* expected :
       {"rows        2", "row groups  1", "created by  fruits version", "path", "string",
        "features", "list<float>", "SNAPPY", "10 .. 20", "fruits.model = demo.onnx", "#0",
        "'Training/Kiwi/1_100.jpg'", "[0.25, 0.5, 0.75, 1, 2, 3, ... 8 values]"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << "missing '" << expected << "' in\n"
                                                       << r.out;
  }
  EXPECT_EQ(r.out.find("#1"), std::string::npos) << "--rows 1 printed more";
}

TEST(Cli, InspectErrorsSayWhatIsWrong) {
  TempDir dir;
  auto missing = Fruits("inspect " + ShellQuote(dir.File("missing.parquet")));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("missing.parquet"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("No such file"), std::string::npos) << missing.err;

  std::string text = dir.File("notes.txt");
  std::ofstream(text) << "these are not the bytes you are looking for";
  auto not_parquet = Fruits("inspect " + ShellQuote(text));
  EXPECT_EQ(not_parquet.exit_code, 1);
  EXPECT_NE(not_parquet.err.find("magic"), std::string::npos) << not_parquet.err;

  auto negative = Fruits("inspect --rows -1 " + ShellQuote(text));
  EXPECT_EQ(negative.exit_code, 2);
}

}  // namespace
}  // namespace fruits
