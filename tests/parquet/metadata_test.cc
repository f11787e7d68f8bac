#include "parquet/metadata.h"

#include <gtest/gtest.h>

#include "parquet/format_error.h"
#include "parquet/schema.h"

namespace fruits::parquet {
namespace {

FileMetaData SampleFooter() {
  FileMetaData m;
  m.schema = Schema({{"path", ColumnType::kString}, {"features", ColumnType::kFloatList, true}})
                 .ToParquet();
  m.num_rows = 3;
  RowGroup rg;
  rg.num_rows = 3;
  rg.file_offset = 4;
  rg.ordinal = 0;
  ColumnChunk c;
  c.file_offset = 4;
  c.meta_data.type = PhysicalType::kByteArray;
  c.meta_data.encodings = {Encoding::kPlain};
  c.meta_data.path_in_schema = {"path"};
  c.meta_data.codec = CompressionCodec::kZstd;
  c.meta_data.num_values = 3;
  c.meta_data.total_compressed_size = 40;
  c.meta_data.total_uncompressed_size = 50;
  c.meta_data.data_page_offset = 4;
  c.meta_data.statistics = Statistics{"a", "z", 0};
  rg.columns.push_back(c);
  m.row_groups.push_back(rg);
  m.key_value_metadata = {{"k", "v"}};
  m.created_by = "fruits version test";
  m.type_defined_column_orders = 2;
  return m;
}

TEST(Metadata, FooterRoundTrips) {
  std::string bytes;
  SerializeFileMetaData(SampleFooter(), &bytes);
  FileMetaData m = ParseFileMetaData(bytes);
  EXPECT_EQ(m.num_rows, 3);
  ASSERT_EQ(m.schema.size(), 5u);  // root, path, features, list, element
  EXPECT_EQ(m.schema[1].logical_type, LogicalType::kString);
  EXPECT_EQ(m.schema[2].converted_type, ConvertedType::kList);
  EXPECT_EQ(m.schema[3].repetition, Repetition::kRepeated);
  EXPECT_EQ(m.schema[4].type, PhysicalType::kFloat);
  ASSERT_EQ(m.row_groups.size(), 1u);
  const ColumnMetaData& c = m.row_groups[0].columns[0].meta_data;
  EXPECT_EQ(c.codec, CompressionCodec::kZstd);
  EXPECT_EQ(c.path_in_schema, std::vector<std::string>{"path"});
  EXPECT_EQ(c.statistics->min_value, "a");
  EXPECT_EQ(c.statistics->max_value, "z");
  EXPECT_EQ(m.key_value_metadata[0].value, "v");
  EXPECT_EQ(m.created_by, "fruits version test");
  EXPECT_EQ(m.type_defined_column_orders, 2);
  Schema schema = Schema::FromParquet(m.schema);
  EXPECT_EQ(schema.column(1).type, ColumnType::kFloatList);
  EXPECT_TRUE(schema.column(1).nullable);
}

TEST(Metadata, PageHeaderRoundTrips) {
  PageHeader h;
  h.uncompressed_page_size = 1 << 20;
  h.compressed_page_size = 1000;
  h.data_page_header = DataPageHeader{1280, Encoding::kPlain, Encoding::kRle, Encoding::kRle};
  std::string bytes;
  SerializePageHeader(h, &bytes);
  bytes += "page body";
  size_t header_size = 0;
  PageHeader back = ParsePageHeader(bytes, &header_size);
  EXPECT_EQ(header_size, bytes.size() - 9);
  EXPECT_EQ(back.uncompressed_page_size, 1 << 20);
  EXPECT_EQ(back.compressed_page_size, 1000);
  ASSERT_TRUE(back.data_page_header);
  EXPECT_EQ(back.data_page_header->num_values, 1280);
}

TEST(Metadata, FooterWithoutRequiredFieldsIsRefused) {
  std::string bytes = "\x15\x02";  // version only
  bytes += '\0';
  EXPECT_THROW(ParseFileMetaData(bytes), FormatError);
}

// list<string> is the spec's three-level LIST of required UTF-8 byte arrays, read back as such;
// an element annotated only with the legacy UTF8 converted type reads the same.
TEST(Metadata, StringListLayout) {
  std::vector<SchemaElement> elements =
      Schema({{"top_labels", ColumnType::kStringList, true}}).ToParquet();
  ASSERT_EQ(elements.size(), 4u);
  EXPECT_EQ(elements[1].name, "top_labels");
  EXPECT_EQ(elements[1].repetition, Repetition::kOptional);
  EXPECT_EQ(elements[1].num_children, 1);
  EXPECT_FALSE(elements[1].type.has_value());
  EXPECT_EQ(elements[1].converted_type, ConvertedType::kList);
  EXPECT_EQ(elements[1].logical_type, LogicalType::kList);
  EXPECT_EQ(elements[2].name, "list");
  EXPECT_EQ(elements[2].repetition, Repetition::kRepeated);
  EXPECT_EQ(elements[2].num_children, 1);
  EXPECT_EQ(elements[3].name, "element");
  EXPECT_EQ(elements[3].repetition, Repetition::kRequired);
  EXPECT_EQ(elements[3].type, PhysicalType::kByteArray);
  EXPECT_EQ(elements[3].converted_type, ConvertedType::kUtf8);
  EXPECT_EQ(elements[3].logical_type, LogicalType::kString);
  LeafLayout layout = LayoutOf({"top_labels", ColumnType::kStringList, true});
  EXPECT_EQ(layout.physical_type, PhysicalType::kByteArray);
  EXPECT_EQ(layout.max_definition_level, 2);
  EXPECT_EQ(layout.max_repetition_level, 1);
  EXPECT_EQ(layout.path, (std::vector<std::string>{"top_labels", "list", "element"}));

  elements[3].logical_type = LogicalType::kNone;
  Schema back = Schema::FromParquet(elements);
  EXPECT_EQ(back.column(0).type, ColumnType::kStringList);
  EXPECT_TRUE(back.column(0).nullable);
  EXPECT_EQ(ColumnTypeName(back.column(0).type), "list<string>");
  // Bytes without a string annotation are not strings.
  elements[3].converted_type.reset();
  EXPECT_THROW(Schema::FromParquet(elements), FormatError);
}

TEST(Metadata, SchemasWeDoNotReadAreNamed) {
  std::vector<SchemaElement> elements = Schema({{"x", ColumnType::kInt64}}).ToParquet();
  elements[1].type = PhysicalType::kInt32;
  try {
    Schema::FromParquet(elements);
    FAIL() << "int32 accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
  }
  elements = Schema({{"l", ColumnType::kFloatList}}).ToParquet();
  elements[3].repetition = Repetition::kOptional;  // list elements that may be null
  EXPECT_THROW(Schema::FromParquet(elements), FormatError);
  elements = Schema({{"l", ColumnType::kStringList}}).ToParquet();
  elements[3].repetition = Repetition::kOptional;
  EXPECT_THROW(Schema::FromParquet(elements), FormatError);
}

}  // namespace
}  // namespace fruits::parquet
