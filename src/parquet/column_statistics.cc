#include "parquet/column_statistics.h"

#include <cmath>
#include <cstring>

namespace fruits::parquet {

namespace {

template <typename T>
std::string PlainBytes(T value) {
  std::string bytes(sizeof(T), '\0');
  std::memcpy(bytes.data(), &value, sizeof(T));
  return bytes;
}

}  // namespace

void ColumnStatistics::AddInt64(int64_t v) {
  if (!has_bounds_ || v < min_int_) min_int_ = v;
  if (!has_bounds_ || v > max_int_) max_int_ = v;
  has_bounds_ = true;
}

void ColumnStatistics::AddFloat(float v) { AddDouble(v); }

void ColumnStatistics::AddDouble(double v) {
  if (std::isnan(v)) return;
  if (!has_bounds_ || v < min_real_) min_real_ = v;
  if (!has_bounds_ || v > max_real_) max_real_ = v;
  has_bounds_ = true;
}

void ColumnStatistics::AddString(const std::string& v) {
  if (v.size() > kMaxStringBytes) string_too_long_ = true;
  if (!has_bounds_ || v < min_string_) min_string_ = v;
  if (!has_bounds_ || v > max_string_) max_string_ = v;
  has_bounds_ = true;
}

Statistics ColumnStatistics::ToParquet() const {
  Statistics s;
  s.null_count = null_count_;
  if (!has_bounds_) return s;
  double min_real = min_real_ == 0 ? -0.0 : min_real_;
  double max_real = max_real_ == 0 ? 0.0 : max_real_;
  switch (type_) {
    case ColumnType::kInt64:
      s.min_value = PlainBytes(min_int_);
      s.max_value = PlainBytes(max_int_);
      break;
    case ColumnType::kFloat:
      s.min_value = PlainBytes(static_cast<float>(min_real));
      s.max_value = PlainBytes(static_cast<float>(max_real));
      break;
    case ColumnType::kDouble:
      s.min_value = PlainBytes(min_real);
      s.max_value = PlainBytes(max_real);
      break;
    case ColumnType::kString:
      if (!string_too_long_) {
        s.min_value = min_string_;
        s.max_value = max_string_;
      }
      break;
    case ColumnType::kFloatList:
    case ColumnType::kStringList:
      break;  // statistics of list columns are not written
  }
  return s;
}

}  // namespace fruits::parquet
