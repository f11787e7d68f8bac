// Broken files get clear errors naming the file, never a crash, a hang or garbage.

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "parquet/reader.h"
#include "parquet/writer.h"
#include "storage/local_store.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::parquet {
namespace {

using fruits::testing::TempDir;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    good_ = dir_.File("good.parquet");
    storage::LocalStore store;
    WriterOptions options;
    options.page_bytes = 512;
    options.compression = CompressionCodec::kSnappy;
    ParquetWriter writer(store.NewWritableFile(good_),
                         Schema({{"path", ColumnType::kString},
                                 {"n", ColumnType::kInt64, true},
                                 {"features", ColumnType::kFloatList},
                                 {"labels", ColumnType::kStringList, true}}),
                         options);
    for (int i = 0; i < 40; ++i) {
      paths_.push_back("Training/Apple/" + std::to_string(i) + ".jpg");
      numbers_.push_back(i * 1000);
      valid_.push_back(i % 4 != 0);
      for (int j = 0; j < 16; ++j) features_.push_back(static_cast<float>(i + j));
      for (int j = 0; j < i % 3; ++j) labels_.push_back(j ? "Äpfel" : "");
      label_offsets_.push_back(static_cast<int64_t>(labels_.size()));
    }
    const ColumnValues cols[] = {ColumnValues::Strings(paths_),
                                 ColumnValues::Int64s(numbers_, valid_),
                                 ColumnValues::FloatRows(features_, 16),
                                 ColumnValues::StringLists(labels_, label_offsets_, valid_)};
    writer.Write(cols);
    writer.Close();
    bytes_ = ReadBytes(good_);
  }

  // Opens and reads all of `bytes` as a file; returns the error message ("" if it read fine).
  std::string ReadAll(const std::string& bytes) {
    std::string path = dir_.File("bad.parquet");
    WriteBytes(path, bytes);
    storage::LocalStore store;
    try {
      ParquetReader reader(store.NewRandomAccessFile(path));
      for (int g = 0; g < reader.num_row_groups(); ++g) reader.ReadRowGroup(g);
    } catch (const Error& e) {
      std::string message = e.what();
      EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << "does not name the file: " << message;
      return message;
    }
    return "";
  }

  TempDir dir_;
  std::string good_, bytes_;
  std::vector<std::string> paths_;
  std::vector<int64_t> numbers_;
  std::vector<uint8_t> valid_;
  std::vector<float> features_;
  std::vector<std::string> labels_;
  std::vector<int64_t> label_offsets_{0};
};

TEST_F(CorruptionTest, TheGoodFileReads) { EXPECT_EQ(ReadAll(bytes_), ""); }

TEST_F(CorruptionTest, EveryTruncationIsAnError) {
  for (size_t n = 0; n < bytes_.size(); ++n) {
    EXPECT_NE(ReadAll(bytes_.substr(0, n)), "") << "truncated to " << n << " bytes";
  }
  EXPECT_NE(ReadAll(bytes_.substr(0, 5)).find("too small"), std::string::npos);
  EXPECT_NE(ReadAll(bytes_.substr(0, bytes_.size() - 1)).find("truncated"), std::string::npos);
}

TEST_F(CorruptionTest, WrongMagicIsNamed) {
  std::string bytes = bytes_;
  bytes[0] = 'X';
  EXPECT_NE(ReadAll(bytes).find("does not start with the Parquet magic"), std::string::npos);
  EXPECT_NE(ReadAll("not a parquet file at all, just text").find("magic"), std::string::npos);
}

TEST_F(CorruptionTest, FooterLengthPastTheStart) {
  std::string bytes = bytes_;
  uint32_t huge = static_cast<uint32_t>(bytes.size());
  std::memcpy(bytes.data() + bytes.size() - 8, &huge, 4);
  EXPECT_NE(ReadAll(bytes).find("claims a footer of"), std::string::npos);
}

// The good file's bytes with its footer replaced by `footer`.
std::string WithFooter(const std::string& good, const FileMetaData& footer) {
  std::string meta;
  SerializeFileMetaData(footer, &meta);
  uint32_t footer_size;
  std::memcpy(&footer_size, good.data() + good.size() - 8, 4);
  std::string bytes = good.substr(0, good.size() - 8 - footer_size) + meta;
  uint32_t size = static_cast<uint32_t>(meta.size());
  bytes.append(reinterpret_cast<const char*>(&size), 4);
  return bytes + "PAR1";
}

TEST_F(CorruptionTest, OffsetsPastTheEnd) {
  // Rewrite the footer with a column chunk that points beyond the data.
  storage::LocalStore store;
  ParquetReader reader(store.NewRandomAccessFile(good_));
  FileMetaData footer = reader.metadata();
  footer.row_groups[0].columns[2].meta_data.data_page_offset = 1 << 30;
  std::string message = ReadAll(WithFooter(bytes_, footer));
  EXPECT_NE(message.find("points outside the file's data"), std::string::npos) << message;
  EXPECT_NE(message.find("'features'"), std::string::npos) << message;
}

// A list whose elements may be null (pyarrow's and Spark's default) is refused by name: we would
// otherwise lose its null elements.
TEST_F(CorruptionTest, ListsWithOptionalElementsAreRefused) {
  storage::LocalStore store;
  FileMetaData footer = ParquetReader(store.NewRandomAccessFile(good_)).metadata();
  ASSERT_EQ(footer.schema.back().name, "element");
  footer.schema.back().repetition = Repetition::kOptional;
  std::string message = ReadAll(WithFooter(bytes_, footer));
  EXPECT_NE(message.find("column 'labels' is a list whose elements may be null"), std::string::npos)
      << message;
  // A list of int64 is not ours either.
  footer.schema.back().repetition = Repetition::kRequired;
  footer.schema.back().type = PhysicalType::kInt64;
  footer.schema.back().converted_type.reset();
  footer.schema.back().logical_type = LogicalType::kNone;
  message = ReadAll(WithFooter(bytes_, footer));
  EXPECT_NE(message.find("column 'labels' is a list of int64"), std::string::npos) << message;
}

// Flipping any single byte either leaves a readable file (e.g. a changed float or string: the
// format has no checksum on our pages) or gives an error; it never crashes, hangs or over-reads
// (the sanitizer build runs this too).
TEST_F(CorruptionTest, EveryFlippedByteIsSurvived) {
  int errors = 0;
  for (size_t i = 0; i < bytes_.size(); ++i) {
    std::string bytes = bytes_;
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
    errors += ReadAll(bytes).empty() ? 0 : 1;
  }
  // The footer, page headers, levels and lengths are most of a small file: most flips are caught.
  EXPECT_GT(errors, static_cast<int>(bytes_.size() / 4));
}

}  // namespace
}  // namespace fruits::parquet
