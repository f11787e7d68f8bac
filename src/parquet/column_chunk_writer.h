// Encodes one column's rows into pages of a column chunk, for the current row group.
//
// Rows are appended as they come; a page is closed (levels RLE-encoded, values PLAIN, the whole
// body compressed, a data page v1 header in front) when it reaches the page size, always at a row
// boundary. Flush() writes the finished chunk to the file and starts the next row group's chunk.
// Memory held: one open page plus the compressed pages of the current row group. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "parquet/column_statistics.h"
#include "parquet/column_values.h"
#include "parquet/metadata.h"
#include "parquet/schema.h"
#include "storage/writable_file.h"

namespace fruits::parquet {

class ColumnChunkWriter {
 public:
  // `row_group_bytes` is the writer's row group target, the most a chunk grows to.
  ColumnChunkWriter(const ColumnSpec& spec, CompressionCodec codec, size_t page_bytes,
                    int64_t row_group_bytes);

  // Appends rows [begin, end) of `values`. REQUIRES: values.type() is this column's type.
  void Append(const ColumnValues& values, int64_t begin, int64_t end);

  // Uncompressed bytes of this chunk so far, open page included: what the row group cut counts.
  int64_t buffered_bytes() const { return uncompressed_bytes_ + OpenPageBytes(); }

  // Closes the open page, appends the chunk to `file` and returns its metadata; the writer is then
  // empty, ready for the next row group.
  ColumnChunk Flush(storage::WritableFile& file);

 private:
  int64_t OpenPageBytes() const {
    return static_cast<int64_t>(values_.size() +
                                (definition_levels_.size() + repetition_levels_.size()) / 4);
  }
  void AppendListRow(const ColumnValues& values, int64_t row);
  void FinishPageIfFull();
  void FinishPage();
  void AppendLevels(const std::vector<uint16_t>& levels, int max_level, std::string* body);

  ColumnSpec spec_;
  LeafLayout layout_;
  CompressionCodec codec_;
  size_t page_bytes_;

  // The open page.
  std::vector<uint16_t> definition_levels_;
  std::vector<uint16_t> repetition_levels_;
  std::string values_;  // PLAIN-encoded
  int64_t page_rows_ = 0;

  // The chunk so far.
  std::string chunk_;  // finished pages, headers included
  int64_t num_values_ = 0;
  int64_t uncompressed_bytes_ = 0;
  ColumnStatistics statistics_;

  // Scratch space reused across pages.
  std::string body_;
  std::string encoded_levels_;
  std::string compressed_;  // unused when the codec is UNCOMPRESSED
};

}  // namespace fruits::parquet
