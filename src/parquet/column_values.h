// Column data crossing the Parquet API: ColumnValues views rows to write, ColumnData owns rows
// read.
//
// Both hold one slot per row: scalar values are indexed by row (a null row's slot holds a default
// value), list rows are ranges of a flat array (floats for list<float>, strings for list<string>).
// `valid` flags nulls: empty means every row is present. ColumnValues does not own its memory: the
// spans must outlive the Write() call that takes it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "parquet/schema.h"

namespace fruits::parquet {

class ColumnValues {
 public:
  static ColumnValues Strings(std::span<const std::string> values,
                              std::span<const uint8_t> valid = {});
  static ColumnValues Int64s(std::span<const int64_t> values, std::span<const uint8_t> valid = {});
  static ColumnValues Floats(std::span<const float> values, std::span<const uint8_t> valid = {});
  static ColumnValues Doubles(std::span<const double> values, std::span<const uint8_t> valid = {});
  // Lists of any length: row i is values[offsets[i], offsets[i+1]); offsets has rows + 1 entries.
  static ColumnValues FloatLists(std::span<const float> values, std::span<const int64_t> offsets,
                                 std::span<const uint8_t> valid = {});
  // Lists of strings, laid out as FloatLists: row i is values[offsets[i], offsets[i+1]).
  static ColumnValues StringLists(std::span<const std::string> values,
                                  std::span<const int64_t> offsets,
                                  std::span<const uint8_t> valid = {});
  // Rows of equal length, a row-major [rows x width] matrix (a batch of feature vectors).
  static ColumnValues FloatRows(std::span<const float> values, int64_t width);

  ColumnType type() const { return type_; }
  int64_t num_rows() const { return num_rows_; }
  bool IsValid(int64_t row) const { return valid_.empty() || valid_[row] != 0; }
  bool has_nulls() const;

  std::span<const std::string> strings() const { return strings_; }
  std::span<const int64_t> int64s() const { return int64s_; }
  std::span<const float> floats() const { return floats_; }
  std::span<const double> doubles() const { return doubles_; }
  // [begin, end) of list row `row` within floats() (list<float>) or strings() (list<string>).
  std::pair<int64_t, int64_t> ListBounds(int64_t row) const {
    if (!offsets_.empty()) return {offsets_[row], offsets_[row + 1]};
    return {row * list_width_, (row + 1) * list_width_};
  }

 private:
  ColumnValues(ColumnType type, int64_t num_rows, std::span<const uint8_t> valid);

  ColumnType type_;
  int64_t num_rows_;
  std::span<const uint8_t> valid_;
  std::span<const std::string> strings_;
  std::span<const int64_t> int64s_;
  std::span<const float> floats_;
  std::span<const double> doubles_;
  std::span<const int64_t> offsets_;
  int64_t list_width_ = 0;
};

// One column of rows read from a file, in the same layout ColumnValues describes.
struct ColumnData {
  ColumnType type = ColumnType::kString;
  int64_t num_rows = 0;
  std::vector<std::string> strings;  // kString values, or kStringList values flattened
  std::vector<int64_t> int64s;
  std::vector<float> floats;  // kFloat values, or kFloatList values flattened
  std::vector<double> doubles;
  std::vector<int64_t> list_offsets;  // list types: num_rows + 1 entries, starting at 0
  std::vector<uint8_t> valid;         // empty when no row is null

  bool IsValid(int64_t row) const { return valid.empty() || valid[row] != 0; }
  // A view of these rows, e.g. to write them again.
  ColumnValues View() const;
};

}  // namespace fruits::parquet
