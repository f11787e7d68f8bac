#include "parquet/metadata.h"

#include "parquet/format_error.h"
#include "parquet/thrift_compact.h"

namespace fruits::parquet {

namespace {

using Type = ThriftType;

void WriteStatistics(CompactWriter& w, const Statistics& stats) {
  if (stats.null_count) w.FieldI64(3, *stats.null_count);
  if (stats.max_value) w.FieldBinary(5, *stats.max_value);
  if (stats.min_value) w.FieldBinary(6, *stats.min_value);
  w.EndStruct();
}

void WriteColumnMetaData(CompactWriter& w, const ColumnMetaData& m) {
  w.FieldI32(1, static_cast<int32_t>(m.type));
  w.FieldListBegin(2, Type::kI32, static_cast<int32_t>(m.encodings.size()));
  for (Encoding e : m.encodings) w.ElementI32(static_cast<int32_t>(e));
  w.FieldListBegin(3, Type::kBinary, static_cast<int32_t>(m.path_in_schema.size()));
  for (const std::string& p : m.path_in_schema) w.ElementBinary(p);
  w.FieldI32(4, static_cast<int32_t>(m.codec));
  w.FieldI64(5, m.num_values);
  w.FieldI64(6, m.total_uncompressed_size);
  w.FieldI64(7, m.total_compressed_size);
  w.FieldI64(9, m.data_page_offset);
  if (m.dictionary_page_offset) w.FieldI64(11, *m.dictionary_page_offset);
  if (m.statistics) {
    w.FieldStructBegin(12);
    WriteStatistics(w, *m.statistics);
  }
  w.EndStruct();
}

void WriteSchemaElement(CompactWriter& w, const SchemaElement& e) {
  w.ElementStructBegin();
  if (e.type) w.FieldI32(1, static_cast<int32_t>(*e.type));
  if (e.repetition) w.FieldI32(3, static_cast<int32_t>(*e.repetition));
  w.FieldBinary(4, e.name);
  if (e.num_children) w.FieldI32(5, *e.num_children);
  if (e.converted_type) w.FieldI32(6, static_cast<int32_t>(*e.converted_type));
  if (e.logical_type != LogicalType::kNone) {
    w.FieldStructBegin(10);                                    // LogicalType union
    w.FieldStructBegin(static_cast<int16_t>(e.logical_type));  // StringType / ListType: empty
    w.EndStruct();
    w.EndStruct();
  }
  w.EndStruct();
}

void WriteRowGroup(CompactWriter& w, const RowGroup& rg) {
  w.ElementStructBegin();
  w.FieldListBegin(1, Type::kStruct, static_cast<int32_t>(rg.columns.size()));
  for (const ColumnChunk& c : rg.columns) {
    w.ElementStructBegin();
    w.FieldI64(2, c.file_offset);
    w.FieldStructBegin(3);
    WriteColumnMetaData(w, c.meta_data);
    w.EndStruct();
  }
  w.FieldI64(2, rg.total_byte_size);
  w.FieldI64(3, rg.num_rows);
  w.FieldI64(5, rg.file_offset);
  w.FieldI64(6, rg.total_compressed_size);
  w.FieldI16(7, rg.ordinal);
  w.EndStruct();
}

// Parsing: one function per struct; each reads fields until the stop byte and skips unknown ones.

template <typename Enum>
Enum ReadEnum(CompactReader& r, ThriftType type) {
  return static_cast<Enum>(r.ReadI32(type));
}

Statistics ReadStatistics(CompactReader& r) {
  Statistics s;
  r.BeginStruct();
  for (auto f = r.ReadFieldHeader(); f.type != Type::kStop; f = r.ReadFieldHeader()) {
    switch (f.id) {
      case 3:
        s.null_count = r.ReadI64(f.type);
        break;
      case 5:
        s.max_value = r.ReadBinary(f.type);
        break;
      case 6:
        s.min_value = r.ReadBinary(f.type);
        break;
      default:
        r.Skip(f.type);
    }
  }
  r.EndStruct();
  return s;
}

ColumnMetaData ReadColumnMetaData(CompactReader& r) {
  ColumnMetaData m;
  bool has_type = false, has_codec = false, has_values = false, has_offset = false;
  r.BeginStruct();
  for (auto f = r.ReadFieldHeader(); f.type != Type::kStop; f = r.ReadFieldHeader()) {
    switch (f.id) {
      case 1:
        m.type = ReadEnum<PhysicalType>(r, f.type);
        has_type = true;
        break;
      case 2: {
        auto list = r.ReadListHeader(f.type);
        for (uint32_t i = 0; i < list.size; ++i) {
          m.encodings.push_back(ReadEnum<Encoding>(r, list.element_type));
        }
        break;
      }
      case 3: {
        auto list = r.ReadListHeader(f.type);
        for (uint32_t i = 0; i < list.size; ++i) {
          m.path_in_schema.push_back(r.ReadBinary(list.element_type));
        }
        break;
      }
      case 4:
        m.codec = ReadEnum<CompressionCodec>(r, f.type);
        has_codec = true;
        break;
      case 5:
        m.num_values = r.ReadI64(f.type);
        has_values = true;
        break;
      case 6:
        m.total_uncompressed_size = r.ReadI64(f.type);
        break;
      case 7:
        m.total_compressed_size = r.ReadI64(f.type);
        break;
      case 9:
        m.data_page_offset = r.ReadI64(f.type);
        has_offset = true;
        break;
      case 11:
        m.dictionary_page_offset = r.ReadI64(f.type);
        break;
      case 12:
        m.statistics = ReadStatistics(r);
        break;
      default:
        r.Skip(f.type);
    }
  }
  r.EndStruct();
  if (!has_type || !has_codec || !has_values || !has_offset) {
    throw FormatError("column metadata lacks a required field (type, codec, values or offset)");
  }
  return m;
}

ColumnChunk ReadColumnChunk(CompactReader& r) {
  ColumnChunk c;
  bool has_metadata = false;
  r.BeginStruct();
  for (auto f = r.ReadFieldHeader(); f.type != Type::kStop; f = r.ReadFieldHeader()) {
    switch (f.id) {
      case 1:
        r.ReadBinary(f.type);
        throw FormatError("column chunks stored in other files are not supported");
      case 2:
        c.file_offset = r.ReadI64(f.type);
        break;
      case 3:
        c.meta_data = ReadColumnMetaData(r);
        has_metadata = true;
        break;
      default:
        r.Skip(f.type);
    }
  }
  r.EndStruct();
  if (!has_metadata) throw FormatError("a column chunk has no metadata");
  return c;
}

RowGroup ReadRowGroup(CompactReader& r) {
  RowGroup rg;
  r.BeginStruct();
  for (auto f = r.ReadFieldHeader(); f.type != Type::kStop; f = r.ReadFieldHeader()) {
    switch (f.id) {
      case 1: {
        auto list = r.ReadListHeader(f.type);
        for (uint32_t i = 0; i < list.size; ++i) {
          if (list.element_type != Type::kStruct) throw FormatError("malformed column list");
          rg.columns.push_back(ReadColumnChunk(r));
        }
        break;
      }
      case 2:
        rg.total_byte_size = r.ReadI64(f.type);
        break;
      case 3:
        rg.num_rows = r.ReadI64(f.type);
        break;
      case 5:
        rg.file_offset = r.ReadI64(f.type);
        break;
      case 6:
        rg.total_compressed_size = r.ReadI64(f.type);
        break;
      default:
        r.Skip(f.type);
    }
  }
  r.EndStruct();
  return rg;
}

LogicalType ReadLogicalType(CompactReader& r) {
  LogicalType result = LogicalType::kNone;
  r.BeginStruct();
  for (auto f = r.ReadFieldHeader(); f.type != Type::kStop; f = r.ReadFieldHeader()) {
    if (f.id == static_cast<int16_t>(LogicalType::kString) ||
        f.id == static_cast<int16_t>(LogicalType::kList)) {
      result = static_cast<LogicalType>(f.id);
    }
    r.Skip(f.type);
  }
  r.EndStruct();
  return result;
}

SchemaElement ReadSchemaElement(CompactReader& r) {
  SchemaElement e;
  r.BeginStruct();
  for (auto f = r.ReadFieldHeader(); f.type != Type::kStop; f = r.ReadFieldHeader()) {
    switch (f.id) {
      case 1:
        e.type = ReadEnum<PhysicalType>(r, f.type);
        break;
      case 3:
        e.repetition = ReadEnum<Repetition>(r, f.type);
        break;
      case 4:
        e.name = r.ReadBinary(f.type);
        break;
      case 5:
        e.num_children = r.ReadI32(f.type);
        break;
      case 6:
        e.converted_type = ReadEnum<ConvertedType>(r, f.type);
        break;
      case 10:
        if (f.type != Type::kStruct) throw FormatError("malformed logical type");
        e.logical_type = ReadLogicalType(r);
        break;
      default:
        r.Skip(f.type);
    }
  }
  r.EndStruct();
  return e;
}

KeyValue ReadKeyValue(CompactReader& r) {
  KeyValue kv;
  r.BeginStruct();
  for (auto f = r.ReadFieldHeader(); f.type != Type::kStop; f = r.ReadFieldHeader()) {
    if (f.id == 1) {
      kv.key = r.ReadBinary(f.type);
    } else if (f.id == 2) {
      kv.value = r.ReadBinary(f.type);
    } else {
      r.Skip(f.type);
    }
  }
  r.EndStruct();
  return kv;
}

// Reads a list of structs with `read` for each element.
template <typename T, typename ReadOne>
void ReadStructList(CompactReader& r, ThriftType type, std::vector<T>* out, ReadOne read) {
  auto list = r.ReadListHeader(type);
  if (list.element_type != Type::kStruct) throw FormatError("malformed list of structs");
  for (uint32_t i = 0; i < list.size; ++i) out->push_back(read(r));
}

}  // namespace

void SerializeFileMetaData(const FileMetaData& m, std::string* out) {
  CompactWriter w(out);
  w.FieldI32(1, m.version);
  w.FieldListBegin(2, Type::kStruct, static_cast<int32_t>(m.schema.size()));
  for (const SchemaElement& e : m.schema) WriteSchemaElement(w, e);
  w.FieldI64(3, m.num_rows);
  w.FieldListBegin(4, Type::kStruct, static_cast<int32_t>(m.row_groups.size()));
  for (const RowGroup& rg : m.row_groups) WriteRowGroup(w, rg);
  if (!m.key_value_metadata.empty()) {
    w.FieldListBegin(5, Type::kStruct, static_cast<int32_t>(m.key_value_metadata.size()));
    for (const KeyValue& kv : m.key_value_metadata) {
      w.ElementStructBegin();
      w.FieldBinary(1, kv.key);
      w.FieldBinary(2, kv.value);
      w.EndStruct();
    }
  }
  w.FieldBinary(6, m.created_by);
  if (m.type_defined_column_orders > 0) {
    w.FieldListBegin(7, Type::kStruct, m.type_defined_column_orders);
    for (int i = 0; i < m.type_defined_column_orders; ++i) {
      w.ElementStructBegin();  // ColumnOrder union
      w.FieldStructBegin(1);   // TYPE_ORDER: TypeDefinedOrder, an empty struct
      w.EndStruct();
      w.EndStruct();
    }
  }
  w.EndStruct();
}

void SerializePageHeader(const PageHeader& h, std::string* out) {
  CompactWriter w(out);
  w.FieldI32(1, static_cast<int32_t>(h.type));
  w.FieldI32(2, h.uncompressed_page_size);
  w.FieldI32(3, h.compressed_page_size);
  if (h.data_page_header) {
    const DataPageHeader& d = *h.data_page_header;
    w.FieldStructBegin(5);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    w.FieldI32(3, static_cast<int32_t>(d.definition_level_encoding));
    w.FieldI32(4, static_cast<int32_t>(d.repetition_level_encoding));
    w.EndStruct();
  }
  w.EndStruct();
}

FileMetaData ParseFileMetaData(std::string_view bytes) {
  FileMetaData m;
  CompactReader r(bytes);
  bool has_schema = false, has_rows = false, has_row_groups = false;
  r.BeginStruct();
  for (auto f = r.ReadFieldHeader(); f.type != Type::kStop; f = r.ReadFieldHeader()) {
    switch (f.id) {
      case 1:
        m.version = r.ReadI32(f.type);
        break;
      case 2:
        ReadStructList(r, f.type, &m.schema, ReadSchemaElement);
        has_schema = true;
        break;
      case 3:
        m.num_rows = r.ReadI64(f.type);
        has_rows = true;
        break;
      case 4:
        ReadStructList(r, f.type, &m.row_groups, ReadRowGroup);
        has_row_groups = true;
        break;
      case 5:
        ReadStructList(r, f.type, &m.key_value_metadata, ReadKeyValue);
        break;
      case 6:
        m.created_by = r.ReadBinary(f.type);
        break;
      case 7: {
        auto list = r.ReadListHeader(f.type);
        for (uint32_t i = 0; i < list.size; ++i) r.Skip(list.element_type);
        m.type_defined_column_orders = static_cast<int32_t>(list.size);
        break;
      }
      default:
        r.Skip(f.type);
    }
  }
  r.EndStruct();
  if (!has_schema || !has_rows || !has_row_groups) {
    throw FormatError("file metadata lacks its schema, row count or row groups");
  }
  return m;
}

PageHeader ParsePageHeader(std::string_view bytes, size_t* header_size) {
  PageHeader h;
  CompactReader r(bytes);
  bool has_type = false, has_sizes = false;
  r.BeginStruct();
  for (auto f = r.ReadFieldHeader(); f.type != Type::kStop; f = r.ReadFieldHeader()) {
    switch (f.id) {
      case 1:
        h.type = ReadEnum<PageType>(r, f.type);
        has_type = true;
        break;
      case 2:
        h.uncompressed_page_size = r.ReadI32(f.type);
        break;
      case 3:
        h.compressed_page_size = r.ReadI32(f.type);
        has_sizes = true;
        break;
      case 5: {
        DataPageHeader d;
        r.BeginStruct();
        for (auto g = r.ReadFieldHeader(); g.type != Type::kStop; g = r.ReadFieldHeader()) {
          if (g.id == 1) {
            d.num_values = r.ReadI32(g.type);
          } else if (g.id == 2) {
            d.encoding = ReadEnum<Encoding>(r, g.type);
          } else if (g.id == 3) {
            d.definition_level_encoding = ReadEnum<Encoding>(r, g.type);
          } else if (g.id == 4) {
            d.repetition_level_encoding = ReadEnum<Encoding>(r, g.type);
          } else {
            r.Skip(g.type);
          }
        }
        r.EndStruct();
        h.data_page_header = d;
        break;
      }
      case 8: {
        DataPageHeaderV2 d;
        r.BeginStruct();
        for (auto g = r.ReadFieldHeader(); g.type != Type::kStop; g = r.ReadFieldHeader()) {
          switch (g.id) {
            case 1:
              d.num_values = r.ReadI32(g.type);
              break;
            case 2:
              d.num_nulls = r.ReadI32(g.type);
              break;
            case 3:
              d.num_rows = r.ReadI32(g.type);
              break;
            case 4:
              d.encoding = ReadEnum<Encoding>(r, g.type);
              break;
            case 5:
              d.definition_levels_byte_length = r.ReadI32(g.type);
              break;
            case 6:
              d.repetition_levels_byte_length = r.ReadI32(g.type);
              break;
            case 7:
              d.is_compressed = r.ReadBool(g.type);
              break;
            default:
              r.Skip(g.type);
          }
        }
        r.EndStruct();
        h.data_page_header_v2 = d;
        break;
      }
      default:
        r.Skip(f.type);
    }
  }
  r.EndStruct();
  if (!has_type || !has_sizes || h.compressed_page_size < 0 || h.uncompressed_page_size < 0) {
    throw FormatError("a page header lacks its type or sizes");
  }
  *header_size = r.position();
  return h;
}

}  // namespace fruits::parquet
