#include "parquet/reader.h"

#include <cstring>

#include "parquet/column_chunk_reader.h"
#include "parquet/compression.h"
#include "parquet/format_error.h"
#include "util/error.h"

namespace fruits::parquet {

namespace {

constexpr std::string_view kMagic = "PAR1";
constexpr uint64_t kMinFileBytes = 12;  // magic, footer length, magic

}  // namespace

ParquetReader::ParquetReader(std::unique_ptr<storage::RandomAccessFile> file)
    : file_(std::move(file)) {
  const uint64_t size = file_->size();
  if (size < kMinFileBytes) {
    Fail("is " + std::to_string(size) + " bytes, too small for a Parquet file (at least " +
         std::to_string(kMinFileBytes) + "); it may be truncated");
  }
  std::string head, tail;
  file_->ReadAt(0, 4, &head);
  file_->ReadAt(size - 8, 8, &tail);
  if (head != kMagic) Fail("does not start with the Parquet magic number 'PAR1': not Parquet");
  if (tail.substr(4) != kMagic) {
    Fail("does not end with the Parquet magic number 'PAR1': truncated or not Parquet");
  }
  uint32_t footer_size;
  std::memcpy(&footer_size, tail.data(), 4);
  if (footer_size > size - kMinFileBytes) {
    Fail("claims a footer of " + std::to_string(footer_size) + " bytes in a file of " +
         std::to_string(size) + ": corrupted");
  }
  const uint64_t footer_start = size - 8 - footer_size;
  std::string footer;
  file_->ReadAt(footer_start, footer_size, &footer);
  try {
    metadata_ = ParseFileMetaData(footer);
    schema_ = Schema::FromParquet(metadata_.schema);
  } catch (const FormatError& e) {
    Fail(std::string("has a footer we cannot read: ") + e.what());
  }
  CheckRowGroups(footer_start);
}

void ParquetReader::Fail(const std::string& problem) const {
  throw Error(file_->uri() + ": " + problem);
}

void ParquetReader::CheckRowGroups(uint64_t footer_start) const {
  if (metadata_.num_rows < 0) Fail("has a negative row count");
  int64_t rows = 0;
  for (size_t g = 0; g < metadata_.row_groups.size(); ++g) {
    const RowGroup& rg = metadata_.row_groups[g];
    const std::string where = "row group " + std::to_string(g);
    if (rg.num_rows < 0 || rg.num_rows > metadata_.num_rows - rows) {
      Fail(where + " has more rows than the file");
    }
    rows += rg.num_rows;
    if (rg.columns.size() != schema_.size()) {
      Fail(where + " has " + std::to_string(rg.columns.size()) + " columns, the schema " +
           std::to_string(schema_.size()));
    }
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      const ColumnMetaData& m = rg.columns[c].meta_data;
      const std::string column = where + ", column '" + schema_.column(c).name + "'";
      LeafLayout layout = LayoutOf(schema_.column(c));
      if (m.path_in_schema != layout.path || m.type != layout.physical_type) {
        Fail(column + " does not match the schema");
      }
      int64_t start = m.dictionary_page_offset.value_or(m.data_page_offset);
      if (start < static_cast<int64_t>(kMagic.size()) || m.total_compressed_size <= 0 ||
          m.total_compressed_size > static_cast<int64_t>(footer_start) - start ||
          m.num_values < 0) {
        Fail(column + " points outside the file's data (offset " + std::to_string(start) + ", " +
             std::to_string(m.total_compressed_size) + " bytes, data ends at " +
             std::to_string(footer_start) + "): truncated or corrupted");
      }
    }
  }
  if (rows != metadata_.num_rows) {
    Fail("has " + std::to_string(metadata_.num_rows) + " rows in its footer but " +
         std::to_string(rows) + " in its row groups");
  }
}

std::optional<std::string> ParquetReader::FindMetadata(const std::string& key) const {
  for (const KeyValue& kv : metadata_.key_value_metadata) {
    if (kv.key == key) return kv.value;
  }
  return std::nullopt;
}

ColumnData ParquetReader::ReadColumn(int row_group, int column) const {
  ColumnData data;
  ReadColumn(row_group, column, &data);
  return data;
}

void ParquetReader::ReadColumn(int row_group, int column, ColumnData* out) const {
  const RowGroup& rg = metadata_.row_groups[row_group];
  const ColumnMetaData& m = rg.columns[column].meta_data;
  const ColumnSpec& spec = schema_.column(column);
  if (!IsSupportedCodec(m.codec)) {
    Fail("column '" + spec.name + "' is compressed with " + CodecName(m.codec) +
         ", which we do not read (we read UNCOMPRESSED, SNAPPY and ZSTD)");
  }
  const auto start = static_cast<uint64_t>(m.dictionary_page_offset.value_or(m.data_page_offset));
  ChunkReader read = [this, start](uint64_t offset, size_t length, std::string* bytes) {
    file_->ReadAt(start + offset, length, bytes);
  };
  try {
    DecodeColumnChunk(static_cast<uint64_t>(m.total_compressed_size), read, spec, m, rg.num_rows,
                      out);
  } catch (const FormatError& e) {
    Fail("row group " + std::to_string(row_group) + ", column '" + spec.name + "': " + e.what());
  }
}

std::vector<ColumnData> ParquetReader::ReadRowGroup(int row_group) const {
  std::vector<ColumnData> columns;
  ReadRowGroup(row_group, &columns);
  return columns;
}

void ParquetReader::ReadRowGroup(int row_group, std::vector<ColumnData>* out) const {
  out->resize(schema_.size());
  for (size_t c = 0; c < schema_.size(); ++c) {
    ReadColumn(row_group, static_cast<int>(c), &(*out)[c]);
  }
}

}  // namespace fruits::parquet
