#include "parquet/column_values.h"

#include <algorithm>

#include "util/error.h"

namespace fruits::parquet {

namespace {

void CheckValidity(size_t rows, std::span<const uint8_t> valid) {
  if (!valid.empty() && valid.size() != rows) {
    throw InternalError("a column's validity flags (" + std::to_string(valid.size()) +
                        ") do not match its rows (" + std::to_string(rows) + ")");
  }
}

// Throws InternalError unless `offsets` are rows + 1 non-decreasing indices into `values`.
void CheckListOffsets(std::span<const int64_t> offsets, size_t values) {
  if (offsets.empty()) throw InternalError("list offsets need one entry more than the rows");
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    if (offsets[i] < 0 || offsets[i] > offsets[i + 1]) {
      throw InternalError("list offsets must start at 0 or more and never decrease");
    }
  }
  if (offsets.back() > static_cast<int64_t>(values)) {
    throw InternalError("list offsets point past the end of the values");
  }
}

}  // namespace

ColumnValues::ColumnValues(ColumnType type, int64_t num_rows, std::span<const uint8_t> valid)
    : type_(type), num_rows_(num_rows), valid_(valid) {
  CheckValidity(static_cast<size_t>(num_rows), valid);
}

bool ColumnValues::has_nulls() const {
  return std::find(valid_.begin(), valid_.end(), uint8_t{0}) != valid_.end();
}

ColumnValues ColumnValues::Strings(std::span<const std::string> values,
                                   std::span<const uint8_t> valid) {
  ColumnValues c(ColumnType::kString, static_cast<int64_t>(values.size()), valid);
  c.strings_ = values;
  return c;
}

ColumnValues ColumnValues::Int64s(std::span<const int64_t> values, std::span<const uint8_t> valid) {
  ColumnValues c(ColumnType::kInt64, static_cast<int64_t>(values.size()), valid);
  c.int64s_ = values;
  return c;
}

ColumnValues ColumnValues::Floats(std::span<const float> values, std::span<const uint8_t> valid) {
  ColumnValues c(ColumnType::kFloat, static_cast<int64_t>(values.size()), valid);
  c.floats_ = values;
  return c;
}

ColumnValues ColumnValues::Doubles(std::span<const double> values, std::span<const uint8_t> valid) {
  ColumnValues c(ColumnType::kDouble, static_cast<int64_t>(values.size()), valid);
  c.doubles_ = values;
  return c;
}

ColumnValues ColumnValues::FloatLists(std::span<const float> values,
                                      std::span<const int64_t> offsets,
                                      std::span<const uint8_t> valid) {
  CheckListOffsets(offsets, values.size());
  ColumnValues c(ColumnType::kFloatList, static_cast<int64_t>(offsets.size() - 1), valid);
  c.floats_ = values;
  c.offsets_ = offsets;
  return c;
}

ColumnValues ColumnValues::StringLists(std::span<const std::string> values,
                                       std::span<const int64_t> offsets,
                                       std::span<const uint8_t> valid) {
  CheckListOffsets(offsets, values.size());
  ColumnValues c(ColumnType::kStringList, static_cast<int64_t>(offsets.size() - 1), valid);
  c.strings_ = values;
  c.offsets_ = offsets;
  return c;
}

ColumnValues ColumnValues::FloatRows(std::span<const float> values, int64_t width) {
  if (width <= 0 || values.size() % static_cast<size_t>(width) != 0) {
    throw InternalError("a float matrix of " + std::to_string(values.size()) +
                        " values does not split into rows of width " + std::to_string(width));
  }
  ColumnValues c(ColumnType::kFloatList, static_cast<int64_t>(values.size()) / width, {});
  c.floats_ = values;
  c.list_width_ = width;
  return c;
}

ColumnValues ColumnData::View() const {
  switch (type) {
    case ColumnType::kString:
      return ColumnValues::Strings(strings, valid);
    case ColumnType::kInt64:
      return ColumnValues::Int64s(int64s, valid);
    case ColumnType::kFloat:
      return ColumnValues::Floats(floats, valid);
    case ColumnType::kDouble:
      return ColumnValues::Doubles(doubles, valid);
    case ColumnType::kFloatList:
      return ColumnValues::FloatLists(floats, list_offsets, valid);
    case ColumnType::kStringList:
      return ColumnValues::StringLists(strings, list_offsets, valid);
  }
  throw Error("unknown column type");
}

}  // namespace fruits::parquet
