#include "parquet/writer.h"

#include <algorithm>
#include <cstring>

#include "parquet/compression.h"
#include "util/error.h"
#include "util/version.h"

namespace fruits::parquet {

namespace {

constexpr char kMagic[] = "PAR1";

// A rough uncompressed size of a batch's row, to cut large batches near the row group target.
int64_t EstimateRowBytes(std::span<const ColumnValues> columns) {
  int64_t rows = columns.empty() ? 0 : columns[0].num_rows();
  if (rows == 0) return 1;
  int64_t bytes = 0;
  for (const ColumnValues& c : columns) {
    switch (c.type()) {
      case ColumnType::kString:
        for (const std::string& s : c.strings()) bytes += static_cast<int64_t>(s.size()) + 4;
        break;
      case ColumnType::kInt64:
      case ColumnType::kDouble:
        bytes += 8 * rows;
        break;
      case ColumnType::kFloat:
        bytes += 4 * rows;
        break;
      case ColumnType::kFloatList:
        bytes += 4 * (c.ListBounds(rows - 1).second - c.ListBounds(0).first) + rows;
        break;
      case ColumnType::kStringList:
        for (int64_t i = c.ListBounds(0).first; i < c.ListBounds(rows - 1).second; ++i) {
          bytes += static_cast<int64_t>(c.strings()[i].size()) + 4;
        }
        bytes += rows;
        break;
    }
  }
  return std::max<int64_t>(1, bytes / rows);
}

}  // namespace

ParquetWriter::ParquetWriter(std::unique_ptr<storage::WritableFile> file, Schema schema,
                             WriterOptions options)
    : file_(std::move(file)), schema_(std::move(schema)), options_(std::move(options)) {
  if (!IsSupportedCodec(options_.compression)) {
    throw InternalError("cannot write Parquet with " + CodecName(options_.compression) +
                        " compression; use UNCOMPRESSED, SNAPPY or ZSTD");
  }
  if (options_.row_group_bytes <= 0 || options_.page_bytes <= 0) {
    throw InternalError("Parquet row group and page sizes must be positive");
  }
  for (const ColumnSpec& spec : schema_.columns()) {
    columns_.emplace_back(spec, options_.compression, static_cast<size_t>(options_.page_bytes),
                          options_.row_group_bytes);
  }
  file_->Append(std::string_view(kMagic, 4));
}

ParquetWriter::~ParquetWriter() = default;

void ParquetWriter::CheckBatch(std::span<const ColumnValues> columns) const {
  if (columns.size() != schema_.size()) {
    throw InternalError("a batch of " + std::to_string(columns.size()) +
                        " columns for a schema of " + std::to_string(schema_.size()));
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    const ColumnSpec& spec = schema_.column(i);
    const ColumnValues& c = columns[i];
    if (c.type() != spec.type) {
      throw InternalError("column '" + spec.name + "' is " + ColumnTypeName(spec.type) +
                          " but the batch gives " + ColumnTypeName(c.type()));
    }
    if (c.num_rows() != columns[0].num_rows()) {
      throw InternalError("column '" + spec.name + "' has " + std::to_string(c.num_rows()) +
                          " rows, the first column " + std::to_string(columns[0].num_rows()));
    }
    if (!spec.nullable && c.has_nulls()) {
      throw InternalError("column '" + spec.name + "' is required but the batch has nulls");
    }
  }
}

void ParquetWriter::Write(std::span<const ColumnValues> columns) {
  if (closed_) throw InternalError("write to a Parquet file that is already closed");
  CheckBatch(columns);
  const int64_t rows = columns.empty() ? 0 : columns[0].num_rows();
  const int64_t row_bytes = EstimateRowBytes(columns);
  for (int64_t begin = 0; begin < rows;) {
    int64_t room = std::max<int64_t>(1, (options_.row_group_bytes - BufferedBytes()) / row_bytes);
    int64_t end = std::min(rows, begin + room);
    for (size_t i = 0; i < columns.size(); ++i) columns_[i].Append(columns[i], begin, end);
    row_group_rows_ += end - begin;
    num_rows_ += end - begin;
    if (BufferedBytes() >= options_.row_group_bytes) FlushRowGroup();
    begin = end;
  }
}

int64_t ParquetWriter::BufferedBytes() const {
  int64_t bytes = 0;
  for (const ColumnChunkWriter& c : columns_) bytes += c.buffered_bytes();
  return bytes;
}

void ParquetWriter::FlushRowGroup() {
  if (row_group_rows_ == 0) return;
  RowGroup rg;
  rg.num_rows = row_group_rows_;
  rg.file_offset = static_cast<int64_t>(file_->size());
  rg.ordinal = static_cast<int16_t>(row_groups_.size());
  for (ColumnChunkWriter& c : columns_) {
    rg.columns.push_back(c.Flush(*file_));
    rg.total_byte_size += rg.columns.back().meta_data.total_uncompressed_size;
    rg.total_compressed_size += rg.columns.back().meta_data.total_compressed_size;
  }
  row_groups_.push_back(std::move(rg));
  row_group_rows_ = 0;
}

void ParquetWriter::SetMetadata(const std::string& key, const std::string& value) {
  for (KeyValue& kv : options_.metadata) {
    if (kv.key == key) {
      kv.value = value;
      return;
    }
  }
  options_.metadata.push_back({key, value});
}

void ParquetWriter::Close() {
  if (closed_) throw InternalError("a Parquet file closed twice");
  FlushRowGroup();
  FileMetaData footer;
  footer.schema = schema_.ToParquet();
  footer.num_rows = num_rows_;
  footer.row_groups = std::move(row_groups_);
  footer.key_value_metadata = options_.metadata;
  footer.created_by = std::string("fruits version ") + kVersion;
  footer.type_defined_column_orders = static_cast<int32_t>(schema_.size());
  std::string bytes;
  SerializeFileMetaData(footer, &bytes);
  auto footer_size = static_cast<uint32_t>(bytes.size());
  char size_bytes[4];
  std::memcpy(size_bytes, &footer_size, 4);
  bytes.append(size_bytes, 4);
  bytes.append(kMagic, 4);
  file_->Append(bytes);
  file_->Commit();
  closed_ = true;
}

}  // namespace fruits::parquet
