// Parquet's file metadata (footer) and page headers, as C++ structs, with their Thrift encoding.
//
// These mirror the parts of parquet.thrift that our writer produces and our reader understands;
// fields we never use are skipped when read. Field numbers follow the Parquet format
// specification. Serialize* append compact-protocol bytes; Parse* throw FormatError on malformed
// or incomplete input. Plain data: no thread-safety concerns.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fruits::parquet {

// Parquet stores numbers little-endian; the encoders copy native values as they are.
static_assert(std::endian::native == std::endian::little, "fruits needs a little-endian machine");

enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

// The legacy converted types we write; readers of old Parquet versions rely on them.
enum class ConvertedType : int32_t { kUtf8 = 0, kList = 3 };

// The logical-type annotations we write (the members of the LogicalType union).
enum class LogicalType : int16_t { kNone = 0, kString = 1, kList = 3 };

enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

enum class CompressionCodec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7,
};

enum class PageType : int32_t {
  kDataPage = 0,
  kIndexPage = 1,
  kDictionaryPage = 2,
  kDataPageV2 = 3,
};

struct SchemaElement {
  std::optional<PhysicalType> type;  // set on leaves only
  std::optional<Repetition> repetition;
  std::string name;
  std::optional<int32_t> num_children;  // set on groups only
  std::optional<ConvertedType> converted_type;
  LogicalType logical_type = LogicalType::kNone;
};

struct KeyValue {
  std::string key;
  std::string value;
};

// Column statistics in the format's current fields (min_value/max_value, ordered by type).
struct Statistics {
  std::optional<std::string> min_value;  // PLAIN encoding of the value, without length prefix
  std::optional<std::string> max_value;
  std::optional<int64_t> null_count;
};

struct ColumnMetaData {
  PhysicalType type = PhysicalType::kInt64;
  std::vector<Encoding> encodings;
  std::vector<std::string> path_in_schema;
  CompressionCodec codec = CompressionCodec::kUncompressed;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  std::optional<Statistics> statistics;
};

struct ColumnChunk {
  int64_t file_offset = 0;
  ColumnMetaData meta_data;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
  int64_t file_offset = 0;
  int64_t total_compressed_size = 0;
  int16_t ordinal = 0;
};

struct FileMetaData {
  int32_t version = 1;
  std::vector<SchemaElement> schema;  // depth-first, the root first
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<KeyValue> key_value_metadata;
  std::string created_by;
  // One entry per leaf column when statistics follow each type's defined order (all we write).
  int32_t type_defined_column_orders = 0;
};

struct DataPageHeader {
  int32_t num_values = 0;  // levels in the page, nulls included
  Encoding encoding = Encoding::kPlain;
  Encoding definition_level_encoding = Encoding::kRle;
  Encoding repetition_level_encoding = Encoding::kRle;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  Encoding encoding = Encoding::kPlain;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

struct PageHeader {
  PageType type = PageType::kDataPage;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  std::optional<DataPageHeader> data_page_header;
  std::optional<DataPageHeaderV2> data_page_header_v2;
};

void SerializeFileMetaData(const FileMetaData& metadata, std::string* out);
void SerializePageHeader(const PageHeader& header, std::string* out);

FileMetaData ParseFileMetaData(std::string_view bytes);
// Parses the header at the start of `bytes`; *header_size receives its length in bytes.
PageHeader ParsePageHeader(std::string_view bytes, size_t* header_size);

}  // namespace fruits::parquet
