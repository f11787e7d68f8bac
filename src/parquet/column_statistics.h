// Min, max and null count of a scalar column chunk, as the footer's Statistics stores them.
//
// Ordering follows each type's defined order (the footer says so in column_orders): signed for
// int64, IEEE for float and double with NaN ignored, unsigned bytes for strings. Zero bounds are
// written as -0.0 (min) and +0.0 (max) as the format asks, so readers never exclude a signed zero.
// Not thread-safe; one per column chunk writer.
#pragma once

#include <cstdint>
#include <string>

#include "parquet/metadata.h"
#include "parquet/schema.h"

namespace fruits::parquet {

class ColumnStatistics {
 public:
  explicit ColumnStatistics(ColumnType type) : type_(type) {}

  void AddNull() { ++null_count_; }
  void AddInt64(int64_t v);
  void AddFloat(float v);
  void AddDouble(double v);
  void AddString(const std::string& v);

  // The footer's statistics; min/max are left out when no value was seen (or all were NaN) and
  // for strings longer than kMaxStringBytes.
  Statistics ToParquet() const;
  void Reset() { *this = ColumnStatistics(type_); }

  static constexpr size_t kMaxStringBytes = 4096;

 private:
  ColumnType type_;
  int64_t null_count_ = 0;
  bool has_bounds_ = false;
  int64_t min_int_ = 0, max_int_ = 0;
  double min_real_ = 0, max_real_ = 0;  // float and double both: a float widens exactly
  std::string min_string_, max_string_;
  bool string_too_long_ = false;
};

}  // namespace fruits::parquet
