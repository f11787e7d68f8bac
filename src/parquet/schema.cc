#include "parquet/schema.h"

#include <set>

#include "parquet/format_error.h"
#include "util/error.h"

namespace fruits::parquet {

namespace {

constexpr char kListGroupName[] = "list";
constexpr char kElementName[] = "element";

PhysicalType PhysicalTypeOf(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
    case ColumnType::kStringList:
      return PhysicalType::kByteArray;
    case ColumnType::kInt64:
      return PhysicalType::kInt64;
    case ColumnType::kFloat:
    case ColumnType::kFloatList:
      return PhysicalType::kFloat;
    case ColumnType::kDouble:
      return PhysicalType::kDouble;
  }
  return PhysicalType::kByteArray;
}

Repetition RepetitionOf(bool nullable) {
  return nullable ? Repetition::kOptional : Repetition::kRequired;
}

// Maps a leaf's physical type and annotation to one of our scalar types.
ColumnType ScalarTypeOf(const SchemaElement& e) {
  switch (*e.type) {
    case PhysicalType::kByteArray:
      if (e.logical_type == LogicalType::kString || e.converted_type == ConvertedType::kUtf8) {
        return ColumnType::kString;
      }
      break;
    case PhysicalType::kInt64:
      if (e.logical_type == LogicalType::kNone && !e.converted_type) return ColumnType::kInt64;
      break;
    case PhysicalType::kFloat:
      return ColumnType::kFloat;
    case PhysicalType::kDouble:
      return ColumnType::kDouble;
    default:
      break;
  }
  throw FormatError("column '" + e.name + "' has physical type " +
                    std::to_string(static_cast<int>(*e.type)) +
                    ", which we do not read (we read string, int64, float, double, list<float>, "
                    "list<string>)");
}

}  // namespace

std::string ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "string";
    case ColumnType::kInt64:
      return "int64";
    case ColumnType::kFloat:
      return "float";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kFloatList:
      return "list<float>";
    case ColumnType::kStringList:
      return "list<string>";
  }
  return "?";
}

bool IsList(ColumnType type) {
  return type == ColumnType::kFloatList || type == ColumnType::kStringList;
}

Schema::Schema(std::vector<ColumnSpec> columns) : columns_(std::move(columns)) {
  std::set<std::string> names;
  for (const ColumnSpec& c : columns_) {
    if (c.name.empty()) throw InternalError("a Parquet column needs a name");
    if (!names.insert(c.name).second) {
      throw InternalError("Parquet column name '" + c.name + "' is used twice");
    }
  }
}

std::vector<SchemaElement> Schema::ToParquet() const {
  std::vector<SchemaElement> elements;
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(columns_.size());
  elements.push_back(root);
  for (const ColumnSpec& c : columns_) {
    SchemaElement e;
    e.name = c.name;
    e.repetition = RepetitionOf(c.nullable);
    if (IsList(c.type)) {
      e.num_children = 1;
      e.converted_type = ConvertedType::kList;
      e.logical_type = LogicalType::kList;
      SchemaElement list;
      list.name = kListGroupName;
      list.repetition = Repetition::kRepeated;
      list.num_children = 1;
      SchemaElement element;
      element.name = kElementName;
      element.repetition = Repetition::kRequired;
      element.type = PhysicalTypeOf(c.type);
      if (c.type == ColumnType::kStringList) {
        element.converted_type = ConvertedType::kUtf8;
        element.logical_type = LogicalType::kString;
      }
      elements.push_back(e);
      elements.push_back(list);
      elements.push_back(element);
      continue;
    }
    e.type = PhysicalTypeOf(c.type);
    if (c.type == ColumnType::kString) {
      e.converted_type = ConvertedType::kUtf8;
      e.logical_type = LogicalType::kString;
    }
    elements.push_back(e);
  }
  return elements;
}

Schema Schema::FromParquet(const std::vector<SchemaElement>& elements) {
  if (elements.empty() || !elements[0].num_children) {
    throw FormatError("the schema has no root group");
  }
  std::vector<ColumnSpec> columns;
  size_t i = 1;
  for (int32_t c = 0; c < *elements[0].num_children; ++c) {
    if (i >= elements.size()) throw FormatError("the schema lists fewer columns than it claims");
    const SchemaElement& e = elements[i++];
    if (!e.repetition || *e.repetition == Repetition::kRepeated) {
      throw FormatError("column '" + e.name +
                        "' is a bare repeated field; we read only the standard LIST layout");
    }
    ColumnSpec spec{e.name, ColumnType::kString, *e.repetition == Repetition::kOptional};
    if (e.type) {
      spec.type = ScalarTypeOf(e);
    } else {
      // A group: only the three-level LIST of float or string is ours to read.
      bool is_list =
          e.num_children == 1 && i + 1 < elements.size() &&
          (e.logical_type == LogicalType::kList || e.converted_type == ConvertedType::kList);
      const SchemaElement* list = is_list ? &elements[i] : nullptr;
      const SchemaElement* leaf = is_list ? &elements[i + 1] : nullptr;
      if (!is_list || list->repetition != Repetition::kRepeated || list->num_children != 1 ||
          list->type || !leaf->type || leaf->repetition == Repetition::kRepeated) {
        throw FormatError("column '" + e.name +
                          "' is a group other than a three-level list of float or string, which "
                          "we do not read");
      }
      // Other writers (pyarrow, Spark) mark elements optional by default; we hold no null
      // elements, so such a list is refused rather than read with its nulls lost.
      if (leaf->repetition != Repetition::kRequired) {
        throw FormatError("column '" + e.name +
                          "' is a list whose elements may be null (an optional element), which "
                          "we do not read (we read lists of required elements)");
      }
      switch (ScalarTypeOf(*leaf)) {
        case ColumnType::kFloat:
          spec.type = ColumnType::kFloatList;
          break;
        case ColumnType::kString:
          spec.type = ColumnType::kStringList;
          break;
        default:
          throw FormatError("column '" + e.name + "' is a list of " +
                            ColumnTypeName(ScalarTypeOf(*leaf)) +
                            ", which we do not read (we read lists of float or string)");
      }
      i += 2;
    }
    columns.push_back(spec);
  }
  if (i != elements.size()) throw FormatError("the schema has elements past its last column");
  try {
    return Schema(std::move(columns));
  } catch (const InternalError& e) {  // a blank or repeated name: the file's fault, not the user's
    throw FormatError(std::string("the schema is invalid: ") + e.what());
  }
}

LeafLayout LayoutOf(const ColumnSpec& column) {
  LeafLayout layout{PhysicalTypeOf(column.type), column.nullable ? 1 : 0, 0, {column.name}};
  if (IsList(column.type)) {
    layout.max_definition_level += 1;  // the repeated group: defined when the list has an element
    layout.max_repetition_level = 1;
    layout.path = {column.name, kListGroupName, kElementName};
  }
  return layout;
}

}  // namespace fruits::parquet
