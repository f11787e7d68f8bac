// Pages built by hand: the shapes other writers produce, and the ones we refuse.

#include "parquet/column_chunk_reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "parquet/format_error.h"
#include "parquet/rle_hybrid.h"
#include "parquet/thrift_compact.h"

namespace fruits::parquet {
namespace {

std::string Plain(std::initializer_list<double> values) {
  std::string bytes;
  for (double v : values) bytes.append(reinterpret_cast<const char*>(&v), 8);
  return bytes;
}

std::string Levels(std::vector<uint16_t> levels, int max_level) {
  std::string bytes;
  EncodeRleHybrid(levels, BitWidth(max_level), &bytes);
  return bytes;
}

// Decodes a chunk held in memory.
void Decode(const std::string& chunk, const ColumnSpec& spec, const ColumnMetaData& metadata,
            int64_t num_rows, ColumnData* out) {
  ChunkReader read = [&chunk](uint64_t offset, size_t length, std::string* bytes) {
    bytes->assign(chunk, offset, length);
  };
  DecodeColumnChunk(chunk.size(), read, spec, metadata, num_rows, out);
}

ColumnMetaData Meta(int64_t num_values) {
  ColumnMetaData m;
  m.type = PhysicalType::kDouble;
  m.codec = CompressionCodec::kUncompressed;
  m.num_values = num_values;
  return m;
}

std::string PageV1(const std::string& body, int32_t num_values, Encoding encoding) {
  PageHeader h;
  h.uncompressed_page_size = h.compressed_page_size = static_cast<int32_t>(body.size());
  h.data_page_header = DataPageHeader{num_values, encoding, Encoding::kRle, Encoding::kRle};
  std::string bytes;
  SerializePageHeader(h, &bytes);
  return bytes + body;
}

std::string WithLength(const std::string& levels) {
  uint32_t n = static_cast<uint32_t>(levels.size());
  return std::string(reinterpret_cast<const char*>(&n), 4) + levels;
}

TEST(ColumnChunkReader, NullableDoublesAcrossTwoPages) {
  ColumnSpec spec{"d", ColumnType::kDouble, true};
  std::string chunk =
      PageV1(WithLength(Levels({1, 0, 1}, 1)) + Plain({1.5, 2.5}), 3, Encoding::kPlain) +
      PageV1(WithLength(Levels({0, 1}, 1)) + Plain({3.5}), 2, Encoding::kPlain);
  ColumnData data;
  Decode(chunk, spec, Meta(5), 5, &data);
  EXPECT_EQ(data.doubles, (std::vector<double>{1.5, 0, 2.5, 0, 3.5}));
  EXPECT_EQ(data.valid, (std::vector<uint8_t>{1, 0, 1, 0, 1}));
}

TEST(ColumnChunkReader, DataPageV2) {
  // A required list<float> split over two rows: [1, 2] and [] in one v2 page, levels uncompressed.
  ColumnSpec spec{"l", ColumnType::kFloatList, false};
  std::string rep = Levels({0, 1, 0}, 1), def = Levels({1, 1, 0}, 1);
  float values[] = {1.0f, 2.0f};
  std::string body = rep + def + std::string(reinterpret_cast<const char*>(values), 8);
  // SerializePageHeader writes v1 headers only; write the v2 one field by field.
  std::string header;
  CompactWriter w(&header);
  w.FieldI32(1, static_cast<int32_t>(PageType::kDataPageV2));
  w.FieldI32(2, static_cast<int32_t>(body.size()));
  w.FieldI32(3, static_cast<int32_t>(body.size()));
  w.FieldStructBegin(8);
  w.FieldI32(1, 3);  // values
  w.FieldI32(2, 1);  // nulls
  w.FieldI32(3, 2);  // rows
  w.FieldI32(4, static_cast<int32_t>(Encoding::kPlain));
  w.FieldI32(5, static_cast<int32_t>(def.size()));
  w.FieldI32(6, static_cast<int32_t>(rep.size()));
  w.FieldBool(7, false);
  w.EndStruct();
  w.EndStruct();
  ColumnMetaData m = Meta(3);
  m.type = PhysicalType::kFloat;
  ColumnData data;
  Decode(header + body, spec, m, 2, &data);
  EXPECT_EQ(data.floats, (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(data.list_offsets, (std::vector<int64_t>{0, 2, 2}));
}

std::string PlainStrings(std::initializer_list<std::string> values) {
  std::string bytes;
  for (const std::string& v : values) {
    uint32_t n = static_cast<uint32_t>(v.size());
    bytes.append(reinterpret_cast<const char*>(&n), 4);
    bytes += v;
  }
  return bytes;
}

// A nullable list<string> as another writer could page it: rows ["a", ""], null, [], ["ü"], split
// over two pages between rows. Levels: repetition 0 starts a row; definition 0 null list, 1 empty
// list, 2 element.
TEST(ColumnChunkReader, NullableStringListsAcrossTwoPages) {
  ColumnSpec spec{"labels", ColumnType::kStringList, true};
  auto page = [](std::vector<uint16_t> rep, std::vector<uint16_t> def, const std::string& values) {
    const int32_t n = static_cast<int32_t>(rep.size());
    return PageV1(WithLength(Levels(rep, 1)) + WithLength(Levels(def, 2)) + values, n,
                  Encoding::kPlain);
  };
  std::string chunk = page({0, 1, 0}, {2, 2, 0}, PlainStrings({"a", ""})) +
                      page({0, 0}, {1, 2}, PlainStrings({"ü"}));
  ColumnMetaData m = Meta(5);
  m.type = PhysicalType::kByteArray;
  ColumnData data;
  Decode(chunk, spec, m, 4, &data);
  EXPECT_EQ(data.num_rows, 4);
  EXPECT_EQ(data.strings, (std::vector<std::string>{"a", "", "ü"}));
  EXPECT_EQ(data.list_offsets, (std::vector<int64_t>{0, 2, 2, 2, 3}));
  EXPECT_EQ(data.valid, (std::vector<uint8_t>{1, 0, 1, 1}));

  // A string whose length runs past its page.
  std::string short_page = page({0}, {2}, PlainStrings({"abc"}).substr(0, 6));
  m.num_values = 1;
  try {
    Decode(short_page, spec, m, 1, &data);
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("a string needs 3 bytes"), std::string::npos) << e.what();
  }
}

void ExpectFormatError(const std::string& chunk, const ColumnSpec& spec, int64_t values,
                       int64_t rows, const std::string& expected_words) {
  try {
    ColumnData data;
    Decode(chunk, spec, Meta(values), rows, &data);
    FAIL() << "no error, expected: " << expected_words;
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(expected_words), std::string::npos) << e.what();
  }
}

TEST(ColumnChunkReader, RefusesWhatItDoesNotRead) {
  ColumnSpec spec{"d", ColumnType::kDouble, false};
  ExpectFormatError(PageV1(Plain({1}), 1, Encoding::kRleDictionary), spec, 1, 1,
                    "RLE_DICTIONARY are not supported");
  PageHeader dict;
  dict.type = PageType::kDictionaryPage;
  dict.uncompressed_page_size = dict.compressed_page_size = 8;
  std::string bytes;
  SerializePageHeader(dict, &bytes);
  ExpectFormatError(bytes + Plain({1}), spec, 1, 1, "dictionary");
}

TEST(ColumnChunkReader, CountsThatDisagreeAreErrors) {
  ColumnSpec spec{"d", ColumnType::kDouble, false};
  ExpectFormatError(PageV1(Plain({1, 2}), 2, Encoding::kPlain), spec, 2, 3, "rows where");
  ExpectFormatError(PageV1(Plain({1}), 2, Encoding::kPlain), spec, 2, 2, "the values needs");
  ExpectFormatError(PageV1(Plain({1, 2}), 1, Encoding::kPlain), spec, 1, 1, "after its last");
  ExpectFormatError(PageV1(Plain({1}), 1, Encoding::kPlain), spec, 2, 2, "ends after 1 of its 2");
  ExpectFormatError(PageV1(Plain({1, 2}), 2, Encoding::kPlain), spec, 1, 1,
                    "more values than its column chunk");
  ColumnSpec nullable{"d", ColumnType::kDouble, true};
  ExpectFormatError(PageV1(std::string("\x40\0\0\0", 4) + Plain({1}), 1, Encoding::kPlain),
                    nullable, 1, 1, "definition levels");
}

}  // namespace
}  // namespace fruits::parquet
