// Reads Parquet files back, one column chunk at a time, never the whole file at once.
//
// Opening reads and checks the footer: magic numbers, footer length, schema, and every column
// chunk's offsets and sizes against the file size. Reading a row group or column decodes its pages
// (see column_chunk_reader.h). Any problem throws fruits::Error as "FILE: what is wrong", for
// truncated or corrupted files as for features we do not read. ReadColumn is const and may be
// called from several threads when the underlying file allows it (RandomAccessFile does).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parquet/column_values.h"
#include "parquet/metadata.h"
#include "parquet/schema.h"
#include "storage/random_access_file.h"

namespace fruits::parquet {

class ParquetReader {
 public:
  explicit ParquetReader(std::unique_ptr<storage::RandomAccessFile> file);

  const Schema& schema() const { return schema_; }
  // The footer as stored: row groups, codecs, sizes, statistics, created_by.
  const FileMetaData& metadata() const { return metadata_; }
  int64_t num_rows() const { return metadata_.num_rows; }
  int num_row_groups() const { return static_cast<int>(metadata_.row_groups.size()); }
  // The value of a footer key-value pair, if present.
  std::optional<std::string> FindMetadata(const std::string& key) const;

  // One column of one row group. REQUIRES: indices in range.
  ColumnData ReadColumn(int row_group, int column) const;
  // The same into *out, reusing its buffers: the way to read many row groups without
  // allocating (and faulting in) fresh memory for each.
  void ReadColumn(int row_group, int column, ColumnData* out) const;
  // Every column of one row group, in schema order.
  std::vector<ColumnData> ReadRowGroup(int row_group) const;
  void ReadRowGroup(int row_group, std::vector<ColumnData>* out) const;

 private:
  [[noreturn]] void Fail(const std::string& problem) const;
  void CheckRowGroups(uint64_t footer_start) const;

  std::unique_ptr<storage::RandomAccessFile> file_;
  FileMetaData metadata_;
  Schema schema_;
};

}  // namespace fruits::parquet
