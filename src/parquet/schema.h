// The table shapes our Parquet files hold: named columns of a few types, required or nullable.
//
// A Schema is a plain value, written into every file's footer and recovered from it by the reader.
// A list column uses the format's standard three-level LIST layout
//   <required|optional> group NAME (LIST) { repeated group list { required float element; } }
// (list<string>: `required binary element (STRING)`), which Spark, DuckDB, pandas and polars read
// as an array of float or of string. Elements are never null: a list may be null or empty, its
// elements may not.
#pragma once

#include <string>
#include <vector>

#include "parquet/metadata.h"

namespace fruits::parquet {

enum class ColumnType { kString, kInt64, kFloat, kDouble, kFloatList, kStringList };

// "string", "int64", "float", "double", "list<float>", "list<string>".
std::string ColumnTypeName(ColumnType type);
// list<float> or list<string>: a column of three-level LISTs.
bool IsList(ColumnType type);

struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kString;
  bool nullable = false;  // optional in Parquet terms; a null list differs from an empty one
};

class Schema {
 public:
  Schema() = default;
  // Throws InternalError on an empty, duplicate or blank column name.
  explicit Schema(std::vector<ColumnSpec> columns);

  const std::vector<ColumnSpec>& columns() const { return columns_; }
  size_t size() const { return columns_.size(); }
  const ColumnSpec& column(size_t i) const { return columns_[i]; }

  // The footer's flattened schema: root first, then each column's element(s).
  std::vector<SchemaElement> ToParquet() const;
  // Recovers a Schema from a footer; throws FormatError naming the column whose shape or type we
  // do not read (e.g. int32, maps, legacy two-level lists, lists whose elements may be null).
  static Schema FromParquet(const std::vector<SchemaElement>& elements);

 private:
  std::vector<ColumnSpec> columns_;
};

// Facts about one column's leaf in the file, derived from its ColumnSpec.
struct LeafLayout {
  PhysicalType physical_type;
  int max_definition_level;
  int max_repetition_level;
  std::vector<std::string> path;  // path_in_schema
};
LeafLayout LayoutOf(const ColumnSpec& column);

}  // namespace fruits::parquet
