#include "parquet/column_chunk_writer.h"

#include <climits>
#include <cstring>

#include "parquet/compression.h"
#include "parquet/rle_hybrid.h"
#include "util/error.h"

namespace fruits::parquet {

namespace {

template <typename T>
void AppendPlain(const T* values, size_t count, std::string* out) {
  out->append(reinterpret_cast<const char*>(values), count * sizeof(T));
}

void AppendUint32(uint32_t v, std::string* out) { AppendPlain(&v, 1, out); }

// A BYTE_ARRAY value, PLAIN: its length, then its bytes.
void AppendPlainString(const std::string& s, std::string* out) {
  if (s.size() > UINT32_MAX) throw Error("a string is too long for Parquet");
  AppendUint32(static_cast<uint32_t>(s.size()), out);
  out->append(s);
}

}  // namespace

ColumnChunkWriter::ColumnChunkWriter(const ColumnSpec& spec, CompressionCodec codec,
                                     size_t page_bytes, int64_t row_group_bytes)
    : spec_(spec),
      layout_(LayoutOf(spec)),
      codec_(codec),
      page_bytes_(page_bytes),
      statistics_(spec.type) {
  // Reserved address space is only paid for when touched; reserving the whole row group up front
  // spares the chunk its reallocations, each a copy into freshly faulted memory.
  chunk_.reserve(static_cast<size_t>(row_group_bytes) + 2 * page_bytes);
}

void ColumnChunkWriter::Append(const ColumnValues& values, int64_t begin, int64_t end) {
  for (int64_t row = begin; row < end; ++row) {
    bool valid = values.IsValid(row);
    ++page_rows_;
    if (IsList(spec_.type)) {
      AppendListRow(values, row);
    } else {
      if (spec_.nullable) definition_levels_.push_back(valid ? 1 : 0);
      if (!valid) {
        statistics_.AddNull();
      } else {
        switch (spec_.type) {
          case ColumnType::kString: {
            const std::string& s = values.strings()[row];
            AppendPlainString(s, &values_);
            statistics_.AddString(s);
            break;
          }
          case ColumnType::kInt64:
            AppendPlain(&values.int64s()[row], 1, &values_);
            statistics_.AddInt64(values.int64s()[row]);
            break;
          case ColumnType::kFloat:
            AppendPlain(&values.floats()[row], 1, &values_);
            statistics_.AddFloat(values.floats()[row]);
            break;
          case ColumnType::kDouble:
            AppendPlain(&values.doubles()[row], 1, &values_);
            statistics_.AddDouble(values.doubles()[row]);
            break;
          case ColumnType::kFloatList:
          case ColumnType::kStringList:
            break;
        }
      }
    }
    FinishPageIfFull();
  }
}

void ColumnChunkWriter::AppendListRow(const ColumnValues& values, int64_t row) {
  // Definition levels: 0 null list (nullable only), then +1 for an existing list, +1 for an
  // element.
  const uint16_t list_defined = spec_.nullable ? 1 : 0;
  const auto element_defined = static_cast<uint16_t>(layout_.max_definition_level);
  auto [begin, end] = values.ListBounds(row);
  if (!values.IsValid(row) || begin == end) {
    definition_levels_.push_back(values.IsValid(row) ? list_defined : 0);
    repetition_levels_.push_back(0);
    return;
  }
  size_t n = static_cast<size_t>(end - begin);
  definition_levels_.insert(definition_levels_.end(), n, element_defined);
  repetition_levels_.push_back(0);
  repetition_levels_.insert(repetition_levels_.end(), n - 1, 1);
  if (spec_.type == ColumnType::kStringList) {
    for (int64_t i = begin; i < end; ++i) AppendPlainString(values.strings()[i], &values_);
  } else {
    AppendPlain(values.floats().data() + begin, n, &values_);
  }
}

void ColumnChunkWriter::FinishPageIfFull() {
  if (static_cast<size_t>(OpenPageBytes()) >= page_bytes_) FinishPage();
}

void ColumnChunkWriter::AppendLevels(const std::vector<uint16_t>& levels, int max_level,
                                     std::string* body) {
  if (max_level == 0) return;
  encoded_levels_.clear();
  EncodeRleHybrid(levels, BitWidth(static_cast<uint32_t>(max_level)), &encoded_levels_);
  AppendUint32(static_cast<uint32_t>(encoded_levels_.size()), body);
  body->append(encoded_levels_);
}

void ColumnChunkWriter::FinishPage() {
  if (page_rows_ == 0) return;
  body_.clear();
  AppendLevels(repetition_levels_, layout_.max_repetition_level, &body_);
  AppendLevels(definition_levels_, layout_.max_definition_level, &body_);
  body_.append(values_);
  std::string_view stored = body_;
  if (codec_ != CompressionCodec::kUncompressed) {
    Compress(codec_, body_, &compressed_);
    stored = compressed_;
  }
  if (body_.size() > INT32_MAX || stored.size() > INT32_MAX) {
    throw Error("a row of column '" + spec_.name + "' is too large for one Parquet page");
  }

  int64_t page_values = layout_.max_definition_level > 0
                            ? static_cast<int64_t>(definition_levels_.size())
                            : page_rows_;
  PageHeader header;
  header.type = PageType::kDataPage;
  header.uncompressed_page_size = static_cast<int32_t>(body_.size());
  header.compressed_page_size = static_cast<int32_t>(stored.size());
  header.data_page_header = DataPageHeader{static_cast<int32_t>(page_values), Encoding::kPlain,
                                           Encoding::kRle, Encoding::kRle};
  size_t header_start = chunk_.size();
  SerializePageHeader(header, &chunk_);
  uncompressed_bytes_ += static_cast<int64_t>(chunk_.size() - header_start + body_.size());
  chunk_.append(stored);
  num_values_ += page_values;

  definition_levels_.clear();
  repetition_levels_.clear();
  values_.clear();
  page_rows_ = 0;
}

ColumnChunk ColumnChunkWriter::Flush(storage::WritableFile& file) {
  FinishPage();
  ColumnChunk chunk;
  chunk.file_offset = static_cast<int64_t>(file.size());
  ColumnMetaData& m = chunk.meta_data;
  m.type = layout_.physical_type;
  m.encodings = {Encoding::kPlain};
  if (layout_.max_definition_level > 0 || layout_.max_repetition_level > 0) {
    m.encodings.push_back(Encoding::kRle);
  }
  m.path_in_schema = layout_.path;
  m.codec = codec_;
  m.num_values = num_values_;
  m.total_uncompressed_size = uncompressed_bytes_;
  m.total_compressed_size = static_cast<int64_t>(chunk_.size());
  m.data_page_offset = chunk.file_offset;
  if (!IsList(spec_.type)) m.statistics = statistics_.ToParquet();
  file.Append(chunk_);

  chunk_.clear();
  num_values_ = 0;
  uncompressed_bytes_ = 0;
  statistics_.Reset();
  return chunk;
}

}  // namespace fruits::parquet
