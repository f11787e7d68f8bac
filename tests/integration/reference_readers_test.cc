// Independent readers (DuckDB, hyparquet) return exactly the values we write, for every type and
// codec.

#include "support/reference_readers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "parquet/compression.h"
#include "parquet/writer.h"
#include "storage/local_store.h"
#include "support/temp_dir.h"

namespace fruits::parquet {
namespace {

using fruits::testing::DuckDbRead;
using fruits::testing::HyparquetRead;
using fruits::testing::TempDir;
using nlohmann::json;

// The JSON DuckDB's script gives for a float or double we wrote.
json Expected(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

struct Rows {
  std::vector<std::string> strings{
      "", "Äpfel", "🍓 Erdbeere", "Training/Apple Red 1/r_12_100.jpg", "quote ' and \" and \\ slash",
      "x"};
  std::vector<int64_t> int64s{0,
                              -1,
                              std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::max(),
                              1234567890123,
                              7};
  std::vector<float> floats{0.0f,
                            -0.0f,
                            1.5f,
                            std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::denorm_min()};
  std::vector<double> doubles{
      0.1, -1e300, std::numeric_limits<double>::infinity(), 2.5, std::numeric_limits<double>::min(),
      -0.0};
  std::vector<float> list_values;
  std::vector<int64_t> list_offsets{0};
  // list<string> rows: several labels, an empty string, an empty list, quotes and UTF-8, a string
  // longer than a page.
  std::vector<std::vector<std::string>> string_lists{
      {"Apple Red 1", "Banana", "Cherry Wax Red 2"},
      {"null when nullable"},
      {""},
      {},
      {"Äpfel", "🍓 Erdbeere", "quote ' and \" and \\ slash", "日本語"},
      {std::string(500, 'z'), "x"}};
  std::vector<std::string> string_list_values;
  std::vector<int64_t> string_list_offsets{0};
  std::vector<uint8_t> valid{1, 0, 1, 1, 0, 1};

  Rows() {
    for (int64_t length : {3, 0, 0, 1280, 1, 2}) {
      for (int64_t j = 0; j < length; ++j) list_values.push_back(std::sin(0.37f * j) * 100.0f);
      list_offsets.push_back(static_cast<int64_t>(list_values.size()));
    }
    for (const auto& row : string_lists) {
      string_list_values.insert(string_list_values.end(), row.begin(), row.end());
      string_list_offsets.push_back(static_cast<int64_t>(string_list_values.size()));
    }
  }
};

struct Case {
  CompressionCodec codec;
  bool nullable;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return CodecName(info.param.codec) + (info.param.nullable ? "_nullable" : "_required");
}

class ReferenceReaders : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceReaders, ReadExactlyWhatWeWrote) {
  const bool nullable = GetParam().nullable;
  TempDir dir;
  std::string path = dir.File("table.parquet");
  Rows t;
  std::span<const uint8_t> valid =
      nullable ? std::span<const uint8_t>(t.valid) : std::span<const uint8_t>();
  WriterOptions options;
  options.compression = GetParam().codec;
  options.row_group_bytes = 3000;  // several row groups
  options.page_bytes = 100;        // several pages per chunk
  options.metadata = {{"fruits.test", "Grüße"}, {"empty", ""}};
  storage::LocalStore store;
  ParquetWriter writer(store.NewWritableFile(path),
                       Schema({{"s", ColumnType::kString, nullable},
                               {"i", ColumnType::kInt64, nullable},
                               {"f", ColumnType::kFloat, nullable},
                               {"d", ColumnType::kDouble, nullable},
                               {"l", ColumnType::kFloatList, nullable},
                               {"sl", ColumnType::kStringList, nullable}}),
                       options);
  // Twice the rows, in two batches.
  for (int b = 0; b < 2; ++b) {
    const ColumnValues cols[] = {
        ColumnValues::Strings(t.strings, valid),
        ColumnValues::Int64s(t.int64s, valid),
        ColumnValues::Floats(t.floats, valid),
        ColumnValues::Doubles(t.doubles, valid),
        ColumnValues::FloatLists(t.list_values, t.list_offsets, valid),
        ColumnValues::StringLists(t.string_list_values, t.string_list_offsets, valid)};
    writer.Write(cols);
  }
  writer.Close();

  json duckdb = DuckDbRead(path);
  std::vector<std::string> types;
  for (const json& c : duckdb["columns"]) types.push_back(c["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"VARCHAR", "BIGINT", "FLOAT", "DOUBLE", "FLOAT[]",
                                             "VARCHAR[]"}));
  json hyparquet = HyparquetRead(path);
  types.clear();
  for (const json& c : hyparquet["columns"]) types.push_back(c["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"BYTE_ARRAY", "INT64", "FLOAT", "DOUBLE",
                                             "LIST<FLOAT>", "LIST<BYTE_ARRAY>"}));

  for (const json& got : {duckdb, hyparquet}) {
    ASSERT_TRUE(got.contains("rows")) << got.dump();
    EXPECT_EQ(got["num_rows"], 12);
    EXPECT_GT(got["row_groups"].get<int>(), 1);
    EXPECT_EQ(got["key_value_metadata"], (json{{"fruits.test", "Grüße"}, {"empty", ""}}));
    ASSERT_EQ(got["rows"].size(), 12u);
    for (size_t row = 0; row < 12; ++row) {
      size_t r = row % 6;
      const json& cells = got["rows"][row];
      if (nullable && !t.valid[r]) {
        for (const json& cell : cells) EXPECT_TRUE(cell.is_null()) << "row " << row;
        continue;
      }
      EXPECT_EQ(cells[0], t.strings[r]);
      EXPECT_EQ(cells[1], std::to_string(t.int64s[r]));
      EXPECT_EQ(cells[2], Expected(t.floats[r])) << "row " << row;
      if (t.floats[r] == 0) {
        EXPECT_EQ(std::signbit(cells[2].get<double>()), std::signbit(t.floats[r])) << "row " << row;
      }
      EXPECT_EQ(cells[3], Expected(t.doubles[r])) << "row " << row;
      json list = json::array();
      for (int64_t j = t.list_offsets[r]; j < t.list_offsets[r + 1]; ++j) {
        list.push_back(Expected(t.list_values[j]));
      }
      EXPECT_EQ(cells[4], list) << "row " << row;
      EXPECT_EQ(cells[5], json(t.string_lists[r])) << "row " << row;
    }
  }
  if (!nullable) {
    // DuckDB uses our statistics to answer; wrong bounds would drop rows here.
    json hits = DuckDbRead(path, "SELECT count(*) AS n FROM file WHERE i = 1234567890123");
    EXPECT_EQ(hits["rows"][0][0], "2");
    json sign = DuckDbRead(path, "SELECT count(*) FROM file WHERE f = 0");
    EXPECT_EQ(sign["rows"][0][0], "4");  // 0.0 and -0.0, twice each
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, ReferenceReaders,
                         ::testing::Values(Case{CompressionCodec::kUncompressed, false},
                                           Case{CompressionCodec::kSnappy, false},
                                           Case{CompressionCodec::kSnappy, true},
                                           Case{CompressionCodec::kZstd, false},
                                           Case{CompressionCodec::kZstd, true}),
                         CaseName);

TEST(ReferenceReadersFile, EmptyFileHasItsColumns) {
  TempDir dir;
  std::string path = dir.File("empty.parquet");
  storage::LocalStore store;
  ParquetWriter writer(
      store.NewWritableFile(path),
      Schema({{"path", ColumnType::kString}, {"features", ColumnType::kFloatList}}), {});
  writer.Close();
  json duckdb = DuckDbRead(path);
  EXPECT_EQ(duckdb["num_rows"], 0);
  EXPECT_TRUE(duckdb["rows"].empty());
  ASSERT_EQ(duckdb["columns"].size(), 2u);
  EXPECT_EQ(duckdb["columns"][1]["name"], "features");
  EXPECT_EQ(duckdb["columns"][1]["type"], "FLOAT[]");
  json hyparquet = HyparquetRead(path);
  EXPECT_EQ(hyparquet["num_rows"], 0);
  EXPECT_TRUE(hyparquet["rows"].empty());
  EXPECT_EQ(hyparquet["columns"][1]["type"], "LIST<FLOAT>");
}

// A features table of the pipeline's shape, in a folder whose name has a space and non-ASCII.
TEST(ReferenceReadersFile, FeatureTableOfManyRowGroups) {
  constexpr int64_t kRows = 20000, kWidth = 1280;
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "Äpfel run");
  std::string path = dir.File("Äpfel run/part-00000.parquet");
  auto value = [](int64_t row, int64_t j) {
    return static_cast<float>((row * 31 + j * 17) % 997) / 64.0f;
  };
  std::vector<std::string> paths;
  std::vector<float> features;
  for (int64_t r = 0; r < kRows; ++r) {
    paths.push_back("img/" + std::to_string(r) + ".jpg");
    for (int64_t j = 0; j < kWidth; ++j) features.push_back(value(r, j));
  }
  WriterOptions options;
  options.row_group_bytes = 16 << 20;
  storage::LocalStore store;
  ParquetWriter writer(
      store.NewWritableFile(path),
      Schema({{"path", ColumnType::kString}, {"features", ColumnType::kFloatList}}), options);
  const ColumnValues cols[] = {ColumnValues::Strings(paths),
                               ColumnValues::FloatRows(features, kWidth)};
  writer.Write(cols);
  writer.Close();

  json totals = DuckDbRead(path, "SELECT count(*), sum(len(features)) FROM file");
  EXPECT_EQ(totals["rows"][0][0], std::to_string(kRows));
  EXPECT_EQ(totals["rows"][0][1], std::to_string(kRows * kWidth));
  EXPECT_GE(totals["row_groups"].get<int>(), 5);
  // Rows at the start, across row group boundaries and at the end, value by value.
  json some = DuckDbRead(path,
                         "SELECT path, features FROM file WHERE path IN ('img/0.jpg', "
                         "'img/3276.jpg', 'img/3277.jpg', 'img/13107.jpg', 'img/19999.jpg') "
                         "ORDER BY len(path), path");
  ASSERT_EQ(some["rows"].size(), 5u);
  for (const json& row : some["rows"]) {
    std::string p = row[0];
    int64_t r = std::stoll(p.substr(4));
    ASSERT_EQ(row[1].size(), static_cast<size_t>(kWidth));
    for (int64_t j = 0; j < kWidth; ++j) {
      ASSERT_EQ(row[1][j].get<double>(), static_cast<double>(value(r, j))) << p << " " << j;
    }
  }
}

}  // namespace
}  // namespace fruits::parquet
