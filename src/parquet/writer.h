// Writes a table to one Parquet file, batch by batch, with bounded memory.
//
// Rows arrive as column batches (ColumnValues, one per schema column); row groups are cut when
// their uncompressed size reaches WriterOptions::row_group_bytes, so memory holds at most one row
// group. The file appears under its name only after Close() (WritableFile's atomic commit); a
// writer destroyed without Close() leaves nothing behind. Not thread-safe: one thread per writer.
// Throws InternalError when a batch does not match the schema (a caller bug), Error when the
// store fails.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "parquet/column_chunk_writer.h"
#include "parquet/column_values.h"
#include "parquet/metadata.h"
#include "parquet/schema.h"
#include "storage/writable_file.h"

namespace fruits::parquet {

struct WriterOptions {
  // SNAPPY as Spark writes by default: fast, and every reader has it.
  CompressionCodec compression = CompressionCodec::kSnappy;
  // Target uncompressed size of a row group; also the writer's memory bound.
  int64_t row_group_bytes = 128 << 20;
  // Target uncompressed size of a data page.
  int64_t page_bytes = 1 << 20;
  // Key-value metadata stored in the footer (what produced the file, with which parameters).
  std::vector<KeyValue> metadata;
};

class ParquetWriter {
 public:
  // Throws InternalError for an unsupported codec or non-positive sizes.
  ParquetWriter(std::unique_ptr<storage::WritableFile> file, Schema schema, WriterOptions options);
  ~ParquetWriter();
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  // Appends rows: one ColumnValues per schema column, in schema order, all with the same rows.
  void Write(std::span<const ColumnValues> columns);
  // Adds or replaces a footer key-value pair; for facts known only at the end (timings, counts).
  void SetMetadata(const std::string& key, const std::string& value);
  // Writes the last row group and the footer, and publishes the file. REQUIRES: not closed yet.
  void Close();

  int64_t num_rows() const { return num_rows_; }

 private:
  void CheckBatch(std::span<const ColumnValues> columns) const;
  void FlushRowGroup();
  int64_t BufferedBytes() const;

  std::unique_ptr<storage::WritableFile> file_;
  Schema schema_;
  WriterOptions options_;
  std::vector<ColumnChunkWriter> columns_;
  std::vector<RowGroup> row_groups_;
  int64_t num_rows_ = 0;
  int64_t row_group_rows_ = 0;
  bool closed_ = false;
};

}  // namespace fruits::parquet
