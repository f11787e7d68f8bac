// Writer -> reader round trips: every type, nullability and compression, and the sizes that cut
// pages and row groups.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "parquet/compression.h"
#include "parquet/reader.h"
#include "parquet/writer.h"
#include "storage/local_store.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::parquet {
namespace {

using fruits::testing::TempDir;

// Owning rows of every column type, with nulls in the nullable ones.
struct Table {
  std::vector<std::string> strings;
  std::vector<int64_t> int64s;
  std::vector<float> floats;
  std::vector<double> doubles;
  std::vector<float> list_values;
  std::vector<int64_t> list_offsets{0};
  std::vector<std::string> string_list_values;
  std::vector<int64_t> string_list_offsets{0};
  std::vector<uint8_t> valid;

  static Schema MakeSchema(bool nullable) {
    return Schema({{"s", ColumnType::kString, nullable},
                   {"i", ColumnType::kInt64, nullable},
                   {"f", ColumnType::kFloat, nullable},
                   {"d", ColumnType::kDouble, nullable},
                   {"l", ColumnType::kFloatList, nullable},
                   {"sl", ColumnType::kStringList, nullable}});
  }

  std::vector<ColumnValues> Columns(bool nullable) const {
    std::span<const uint8_t> v =
        nullable ? std::span<const uint8_t>(valid) : std::span<const uint8_t>();
    return {ColumnValues::Strings(strings, v),
            ColumnValues::Int64s(int64s, v),
            ColumnValues::Floats(floats, v),
            ColumnValues::Doubles(doubles, v),
            ColumnValues::FloatLists(list_values, list_offsets, v),
            ColumnValues::StringLists(string_list_values, string_list_offsets, v)};
  }
};

Table MakeTable(int64_t rows, bool with_nulls, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-1e3f, 1e3f);
  const char* words[] = {"", "Äpfel", "🍓 strawberry", "Cherry Wax Red 2", "a/b c.jpg"};
  Table t;
  for (int64_t r = 0; r < rows; ++r) {
    bool valid = !with_nulls || r % 3 != 1;
    t.valid.push_back(valid ? 1 : 0);
    t.strings.push_back(valid ? std::string(words[rng() % 5]) + std::to_string(r) : "");
    t.int64s.push_back(valid ? static_cast<int64_t>(rng()) * (r % 2 ? -1 : 1) * (1 << 20) : 0);
    t.floats.push_back(valid ? value(rng) : 0.0f);
    t.doubles.push_back(valid ? static_cast<double>(value(rng)) / 7.0 : 0.0);
    int64_t length = valid ? static_cast<int64_t>(rng() % 4 == 0 ? 0 : rng() % 40) : 0;
    for (int64_t j = 0; j < length; ++j) t.list_values.push_back(value(rng));
    t.list_offsets.push_back(static_cast<int64_t>(t.list_values.size()));
    // Empty lists, empty strings, multi-byte UTF-8 and, now and then, a string longer than a page.
    length = valid ? static_cast<int64_t>(rng() % 4 == 0 ? 0 : rng() % 6) : 0;
    for (int64_t j = 0; j < length; ++j) {
      t.string_list_values.push_back(r % 97 == 5 && j == 0 ? std::string(3000, 'w')
                                                           : words[rng() % 5]);
    }
    t.string_list_offsets.push_back(static_cast<int64_t>(t.string_list_values.size()));
  }
  return t;
}

std::string WriteTable(const TempDir& dir, const Table& t, bool nullable, WriterOptions options,
                       int batches = 1) {
  std::string path = dir.File("t.parquet");
  storage::LocalStore store;
  ParquetWriter writer(store.NewWritableFile(path), Table::MakeSchema(nullable), options);
  std::vector<ColumnValues> all = t.Columns(nullable);
  const int64_t rows = static_cast<int64_t>(t.strings.size());
  if (batches == 1) {
    writer.Write(all);
  } else {
    // Same rows through several Write calls: slice every column alike.
    for (int b = 0; b < batches; ++b) {
      int64_t begin = rows * b / batches, end = rows * (b + 1) / batches;
      std::span<const uint8_t> v;
      if (nullable) v = std::span<const uint8_t>(t.valid).subspan(begin, end - begin);
      std::vector<int64_t> offsets(t.list_offsets.begin() + begin,
                                   t.list_offsets.begin() + end + 1);
      std::vector<int64_t> string_offsets(t.string_list_offsets.begin() + begin,
                                          t.string_list_offsets.begin() + end + 1);
      const ColumnValues cols[] = {
          ColumnValues::Strings(std::span(t.strings).subspan(begin, end - begin), v),
          ColumnValues::Int64s(std::span(t.int64s).subspan(begin, end - begin), v),
          ColumnValues::Floats(std::span(t.floats).subspan(begin, end - begin), v),
          ColumnValues::Doubles(std::span(t.doubles).subspan(begin, end - begin), v),
          ColumnValues::FloatLists(t.list_values, offsets, v),
          ColumnValues::StringLists(t.string_list_values, string_offsets, v)};
      writer.Write(cols);
    }
  }
  EXPECT_EQ(writer.num_rows(), rows);
  writer.Close();
  return path;
}

// Reads every row group and checks each cell against the table, bit for bit.
void ExpectTable(const std::string& path, const Table& t, bool nullable) {
  storage::LocalStore store;
  ParquetReader reader(store.NewRandomAccessFile(path));
  ASSERT_EQ(reader.num_rows(), static_cast<int64_t>(t.strings.size()));
  ASSERT_EQ(reader.schema().size(), 6u);
  for (size_t c = 0; c < 6; ++c) {
    EXPECT_EQ(reader.schema().column(c).nullable, nullable);
    EXPECT_EQ(reader.schema().column(c).type, Table::MakeSchema(nullable).column(c).type);
  }
  int64_t row = 0;
  for (int g = 0; g < reader.num_row_groups(); ++g) {
    std::vector<ColumnData> cols = reader.ReadRowGroup(g);
    for (int64_t r = 0; r < cols[0].num_rows; ++r, ++row) {
      bool valid = !nullable || t.valid[row];
      for (const ColumnData& c : cols) ASSERT_EQ(c.IsValid(r), valid) << "row " << row;
      if (!valid) continue;
      ASSERT_EQ(cols[0].strings[r], t.strings[row]);
      ASSERT_EQ(cols[1].int64s[r], t.int64s[row]);
      ASSERT_EQ(cols[2].floats[r], t.floats[row]);
      ASSERT_EQ(cols[3].doubles[r], t.doubles[row]);
      std::vector<float> expected(t.list_values.begin() + t.list_offsets[row],
                                  t.list_values.begin() + t.list_offsets[row + 1]);
      std::vector<float> actual(cols[4].floats.begin() + cols[4].list_offsets[r],
                                cols[4].floats.begin() + cols[4].list_offsets[r + 1]);
      ASSERT_EQ(actual, expected) << "row " << row;
      std::vector<std::string> expected_strings(
          t.string_list_values.begin() + t.string_list_offsets[row],
          t.string_list_values.begin() + t.string_list_offsets[row + 1]);
      std::vector<std::string> actual_strings(
          cols[5].strings.begin() + cols[5].list_offsets[r],
          cols[5].strings.begin() + cols[5].list_offsets[r + 1]);
      ASSERT_EQ(actual_strings, expected_strings) << "row " << row;
    }
  }
  EXPECT_EQ(row, reader.num_rows());
}

struct Case {
  CompressionCodec codec;
  bool nullable;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return CodecName(info.param.codec) + (info.param.nullable ? "_nullable" : "_required");
}

class RoundTripTest : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTripTest, EveryTypeSurvives) {
  TempDir dir;
  Table t = MakeTable(2000, GetParam().nullable, 7);
  WriterOptions options;
  options.compression = GetParam().codec;
  std::string path = WriteTable(dir, t, GetParam().nullable, options);
  ExpectTable(path, t, GetParam().nullable);
}

TEST_P(RoundTripTest, ManyPagesAndRowGroups) {
  TempDir dir;
  Table t = MakeTable(5000, GetParam().nullable, 11);
  WriterOptions options;
  options.compression = GetParam().codec;
  options.page_bytes = 1000;
  options.row_group_bytes = 40000;
  std::string path = WriteTable(dir, t, GetParam().nullable, options, /*batches=*/7);
  storage::LocalStore store;
  ParquetReader reader(store.NewRandomAccessFile(path));
  EXPECT_GT(reader.num_row_groups(), 5);
  ExpectTable(path, t, GetParam().nullable);
}

INSTANTIATE_TEST_SUITE_P(Codecs, RoundTripTest,
                         ::testing::Values(Case{CompressionCodec::kUncompressed, false},
                                           Case{CompressionCodec::kUncompressed, true},
                                           Case{CompressionCodec::kSnappy, false},
                                           Case{CompressionCodec::kSnappy, true},
                                           Case{CompressionCodec::kZstd, false},
                                           Case{CompressionCodec::kZstd, true}),
                         CaseName);

TEST(RoundTrip, EmptyFileKeepsItsSchema) {
  TempDir dir;
  Table t = MakeTable(0, true, 1);
  std::string path = WriteTable(dir, t, true, WriterOptions{});
  storage::LocalStore store;
  ParquetReader reader(store.NewRandomAccessFile(path));
  EXPECT_EQ(reader.num_rows(), 0);
  EXPECT_EQ(reader.num_row_groups(), 0);
  EXPECT_EQ(reader.schema().column(4).name, "l");
  EXPECT_EQ(reader.schema().column(4).type, ColumnType::kFloatList);
  EXPECT_EQ(reader.schema().column(5).name, "sl");
  EXPECT_EQ(reader.schema().column(5).type, ColumnType::kStringList);
}

TEST(RoundTrip, OneRow) {
  TempDir dir;
  Table t = MakeTable(1, false, 3);
  ExpectTable(WriteTable(dir, t, false, WriterOptions{}), t, false);
}

TEST(RoundTrip, SpecialFloatsKeepTheirBits) {
  TempDir dir;
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> values = {0.0f,
                               -0.0f,
                               inf,
                               -inf,
                               std::numeric_limits<float>::quiet_NaN(),
                               std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::max()};
  std::string path = dir.File("f.parquet");
  storage::LocalStore store;
  ParquetWriter writer(store.NewWritableFile(path), Schema({{"f", ColumnType::kFloat}}), {});
  const ColumnValues cols[] = {ColumnValues::Floats(values)};
  writer.Write(cols);
  writer.Close();
  ParquetReader reader(store.NewRandomAccessFile(path));
  ColumnData back = reader.ReadColumn(0, 0);
  ASSERT_EQ(back.floats.size(), values.size());
  EXPECT_EQ(std::memcmp(back.floats.data(), values.data(), values.size() * 4), 0);
  // NaN is left out of the bounds; zeros are written as -0.0 .. +0.0 would be if they were bounds.
  const Statistics& s = *reader.metadata().row_groups[0].columns[0].meta_data.statistics;
  float min, max;
  std::memcpy(&min, s.min_value->data(), 4);
  std::memcpy(&max, s.max_value->data(), 4);
  EXPECT_EQ(min, -inf);
  EXPECT_EQ(max, inf);
  EXPECT_EQ(*s.null_count, 0);
}

TEST(RoundTrip, StatisticsOfScalarColumns) {
  TempDir dir;
  Table t = MakeTable(100, true, 5);
  std::string path = WriteTable(dir, t, true, WriterOptions{});
  storage::LocalStore store;
  ParquetReader reader(store.NewRandomAccessFile(path));
  const RowGroup& rg = reader.metadata().row_groups[0];
  int64_t nulls = std::count(t.valid.begin(), t.valid.end(), 0);
  int64_t min = INT64_MAX, max = INT64_MIN;
  std::string min_s, max_s;
  bool first = true;
  for (size_t r = 0; r < t.valid.size(); ++r) {
    if (!t.valid[r]) continue;
    min = std::min(min, t.int64s[r]);
    max = std::max(max, t.int64s[r]);
    if (first || t.strings[r] < min_s) min_s = t.strings[r];
    if (first || t.strings[r] > max_s) max_s = t.strings[r];
    first = false;
  }
  const Statistics& is = *rg.columns[1].meta_data.statistics;
  int64_t got_min, got_max;
  std::memcpy(&got_min, is.min_value->data(), 8);
  std::memcpy(&got_max, is.max_value->data(), 8);
  EXPECT_EQ(got_min, min);
  EXPECT_EQ(got_max, max);
  EXPECT_EQ(*is.null_count, nulls);
  const Statistics& ss = *rg.columns[0].meta_data.statistics;
  EXPECT_EQ(*ss.min_value, min_s);
  EXPECT_EQ(*ss.max_value, max_s);
  EXPECT_FALSE(rg.columns[4].meta_data.statistics.has_value());  // no statistics on lists
  EXPECT_FALSE(rg.columns[5].meta_data.statistics.has_value());
}

TEST(RoundTrip, ListsOfLengthZeroOneAnd1280) {
  TempDir dir;
  std::vector<float> values;
  std::vector<int64_t> offsets{0};
  for (int64_t length : {0, 1, 1280, 0, 1280, 1}) {
    for (int64_t j = 0; j < length; ++j) values.push_back(static_cast<float>(j) * 0.5f - 3);
    offsets.push_back(static_cast<int64_t>(values.size()));
  }
  std::string path = dir.File("l.parquet");
  storage::LocalStore store;
  ParquetWriter writer(store.NewWritableFile(path), Schema({{"l", ColumnType::kFloatList}}), {});
  const ColumnValues cols[] = {ColumnValues::FloatLists(values, offsets)};
  writer.Write(cols);
  writer.Close();
  ParquetReader reader(store.NewRandomAccessFile(path));
  ColumnData back = reader.ReadColumn(0, 0);
  EXPECT_EQ(back.list_offsets, offsets);
  EXPECT_EQ(back.floats, values);
  EXPECT_TRUE(back.valid.empty());
}

// list<string> rows of every shape, read back exactly, and written again from the ColumnData read
// (View) into the same bytes.
TEST(RoundTrip, StringListsOfEveryShape) {
  const std::string long_string = std::string(70000, 'a') + "🍓";  // longer than a page
  const std::vector<std::vector<std::string>> rows = {
      {},
      {""},
      {"", ""},
      {"Äpfel", "🍓 Erdbeere", "日本語", "Cherry Wax Red 2"},
      {},  // a null row
      {long_string, "x", std::string(1, '\0') + "nul inside"},
      std::vector<std::string>(3000, "Banana Lady Finger 1"),
      {"last"}};
  const std::vector<uint8_t> valid = {1, 1, 1, 1, 0, 1, 1, 1};
  std::vector<std::string> values;
  std::vector<int64_t> offsets{0};
  for (const auto& row : rows) {
    values.insert(values.end(), row.begin(), row.end());
    offsets.push_back(static_cast<int64_t>(values.size()));
  }
  TempDir dir;
  storage::LocalStore store;
  WriterOptions options;
  options.compression = CompressionCodec::kZstd;
  options.page_bytes = 4096;
  options.row_group_bytes = 60000;
  const Schema schema({{"labels", ColumnType::kStringList, true}});
  auto write = [&](const std::string& path, const ColumnValues& column) {
    ParquetWriter writer(store.NewWritableFile(path), schema, options);
    writer.Write(std::span(&column, 1));
    writer.Close();
  };
  const std::string path = dir.File("labels.parquet");
  write(path, ColumnValues::StringLists(values, offsets, valid));

  ParquetReader reader(store.NewRandomAccessFile(path));
  EXPECT_EQ(reader.schema().column(0).type, ColumnType::kStringList);
  EXPECT_GT(reader.num_row_groups(), 1);  // the long string and the 3000-element list cut groups
  std::vector<std::string> back_values;
  std::vector<int64_t> back_offsets{0};
  std::vector<uint8_t> back_valid;
  for (int g = 0; g < reader.num_row_groups(); ++g) {
    ColumnData c = reader.ReadColumn(g, 0);
    ASSERT_EQ(c.type, ColumnType::kStringList);
    ASSERT_EQ(c.list_offsets.size(), static_cast<size_t>(c.num_rows) + 1);
    for (int64_t r = 0; r < c.num_rows; ++r) {
      back_valid.push_back(c.IsValid(r) ? 1 : 0);
      back_values.insert(back_values.end(), c.strings.begin() + c.list_offsets[r],
                         c.strings.begin() + c.list_offsets[r + 1]);
      back_offsets.push_back(static_cast<int64_t>(back_values.size()));
    }
  }
  EXPECT_EQ(back_valid, valid);
  EXPECT_EQ(back_offsets, offsets);
  EXPECT_EQ(back_values, values);

  // One row group read and written again through View() gives the same column.
  options.row_group_bytes = 1 << 30;
  const std::string first = dir.File("first.parquet"), again = dir.File("again.parquet");
  write(first, ColumnValues::StringLists(values, offsets, valid));
  ColumnData read = ParquetReader(store.NewRandomAccessFile(first)).ReadColumn(0, 0);
  write(again, read.View());
  std::ifstream a(first, std::ios::binary), b(again, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}),
            std::string(std::istreambuf_iterator<char>(b), {}));
}

TEST(RoundTrip, KeyValueMetadataAndCreatedBy) {
  TempDir dir;
  std::string path = dir.File("kv.parquet");
  storage::LocalStore store;
  WriterOptions options;
  options.metadata = {{"fruits.model", "mobilenet_v2 sha256:abc"}, {"empty", ""}};
  ParquetWriter writer(store.NewWritableFile(path), Schema({{"i", ColumnType::kInt64}}), options);
  writer.SetMetadata("fruits.seconds", "1.5");
  writer.SetMetadata("empty", "now set");
  writer.Close();
  ParquetReader reader(store.NewRandomAccessFile(path));
  EXPECT_EQ(reader.FindMetadata("fruits.model"), "mobilenet_v2 sha256:abc");
  EXPECT_EQ(reader.FindMetadata("fruits.seconds"), "1.5");
  EXPECT_EQ(reader.FindMetadata("empty"), "now set");
  EXPECT_EQ(reader.FindMetadata("missing"), std::nullopt);
  EXPECT_EQ(reader.metadata().created_by.rfind("fruits version ", 0), 0u);
}

TEST(RoundTrip, FileIsInvisibleUntilClosed) {
  TempDir dir;
  std::string path = dir.File("late.parquet");
  storage::LocalStore store;
  {
    ParquetWriter writer(store.NewWritableFile(path), Schema({{"i", ColumnType::kInt64}}), {});
    std::vector<int64_t> v(1000, 42);
    const ColumnValues cols[] = {ColumnValues::Int64s(v)};
    writer.Write(cols);
    EXPECT_FALSE(store.Exists(path));
  }  // abandoned without Close()
  EXPECT_FALSE(store.Exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(RoundTrip, BatchesThatDoNotMatchTheSchemaAreRefused) {
  TempDir dir;
  storage::LocalStore store;
  ParquetWriter writer(store.NewWritableFile(dir.File("x.parquet")),
                       Schema({{"i", ColumnType::kInt64}, {"s", ColumnType::kString}}), {});
  std::vector<int64_t> ints{1, 2};
  std::vector<std::string> strings{"a"};
  std::vector<uint8_t> valid{1, 0};
  const ColumnValues too_few[] = {ColumnValues::Int64s(ints)};
  EXPECT_THROW(writer.Write(too_few), InternalError);
  const ColumnValues wrong_type[] = {ColumnValues::Int64s(ints), ColumnValues::Int64s(ints)};
  EXPECT_THROW(writer.Write(wrong_type), InternalError);
  const ColumnValues ragged[] = {ColumnValues::Int64s(ints), ColumnValues::Strings(strings)};
  EXPECT_THROW(writer.Write(ragged), InternalError);
  std::vector<std::string> two_strings{"a", "b"};
  const ColumnValues nulls_in_required[] = {ColumnValues::Int64s(ints, valid),
                                            ColumnValues::Strings(two_strings)};
  EXPECT_THROW(writer.Write(nulls_in_required), InternalError);
  EXPECT_THROW(Schema({{"a", ColumnType::kInt64}, {"a", ColumnType::kString}}), InternalError);
  writer.Close();

  ParquetWriter lists(store.NewWritableFile(dir.File("lists.parquet")),
                      Schema({{"labels", ColumnType::kStringList}}), {});
  std::vector<float> floats{0.5f, 0.25f};
  std::vector<int64_t> offsets{0, 2, 2};
  const ColumnValues float_lists[] = {ColumnValues::FloatLists(floats, offsets)};
  EXPECT_THROW(lists.Write(float_lists), InternalError);
  const ColumnValues null_lists[] = {ColumnValues::StringLists(two_strings, offsets, valid)};
  EXPECT_THROW(lists.Write(null_lists), InternalError);
  std::vector<int64_t> decreasing{0, 2, 1}, past_the_end{0, 1, 3};
  EXPECT_THROW(ColumnValues::StringLists(two_strings, decreasing), InternalError);
  EXPECT_THROW(ColumnValues::StringLists(two_strings, past_the_end), InternalError);
  EXPECT_THROW(ColumnValues::StringLists(two_strings, {}), InternalError);
  EXPECT_THROW(ColumnValues::StringLists(two_strings, offsets, std::vector<uint8_t>{1}),
               InternalError);
  lists.Close();
  const ColumnValues after_close[] = {ColumnValues::Int64s(ints),
                                      ColumnValues::Strings(two_strings)};
  EXPECT_THROW(writer.Write(after_close), InternalError);
  EXPECT_THROW(writer.Close(), InternalError);
}

// The size a pipeline writes: 100,000 feature vectors of 1280 floats, generated and checked in
// slices so the test itself holds only one slice.
TEST(RoundTrip, HundredThousandFeatureRows) {
  constexpr int64_t kRows = 100000, kWidth = 1280, kSlice = 5000;
  auto value = [](int64_t row, int64_t j) {
    return static_cast<float>((row * 131 + j * 7) % 1009) * 0.005f;
  };
  TempDir dir;
  std::string path = dir.File("big.parquet");
  storage::LocalStore store;
  ParquetWriter writer(
      store.NewWritableFile(path),
      Schema({{"path", ColumnType::kString}, {"features", ColumnType::kFloatList}}), {});
  std::vector<float> features(kSlice * kWidth);
  std::vector<std::string> paths(kSlice);
  for (int64_t begin = 0; begin < kRows; begin += kSlice) {
    for (int64_t r = 0; r < kSlice; ++r) {
      paths[r] = "img/" + std::to_string(begin + r) + ".jpg";
      for (int64_t j = 0; j < kWidth; ++j) features[r * kWidth + j] = value(begin + r, j);
    }
    const ColumnValues cols[] = {ColumnValues::Strings(paths),
                                 ColumnValues::FloatRows(features, kWidth)};
    writer.Write(cols);
  }
  writer.Close();

  ParquetReader reader(store.NewRandomAccessFile(path));
  ASSERT_EQ(reader.num_rows(), kRows);
  EXPECT_GE(reader.num_row_groups(), 3);  // 512 MB of floats cut at about 128 MiB
  int64_t row = 0;
  for (int g = 0; g < reader.num_row_groups(); ++g) {
    std::vector<ColumnData> cols = reader.ReadRowGroup(g);
    for (int64_t r = 0; r < cols[0].num_rows; ++r, ++row) {
      ASSERT_EQ(cols[0].strings[r], "img/" + std::to_string(row) + ".jpg");
      ASSERT_EQ(cols[1].list_offsets[r + 1] - cols[1].list_offsets[r], kWidth);
      const float* got = cols[1].floats.data() + cols[1].list_offsets[r];
      for (int64_t j = 0; j < kWidth; ++j) ASSERT_EQ(got[j], value(row, j)) << row << "," << j;
    }
  }
  EXPECT_EQ(row, kRows);
}

}  // namespace
}  // namespace fruits::parquet
