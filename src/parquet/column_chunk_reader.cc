#include "parquet/column_chunk_reader.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "parquet/compression.h"
#include "parquet/format_error.h"
#include "parquet/rle_hybrid.h"

namespace fruits::parquet {

namespace {

// A page that claims to expand beyond this is corrupt, not big: our pages are about 1 MiB.
constexpr int64_t kMaxPageBytes = int64_t{1} << 30;
// Page headers are tens of bytes; statistics can make them longer, never this long.
constexpr size_t kMaxPageHeaderBytes = 1 << 20;

std::string EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kPlain:
      return "PLAIN";
    case Encoding::kPlainDictionary:
      return "PLAIN_DICTIONARY";
    case Encoding::kRle:
      return "RLE";
    case Encoding::kBitPacked:
      return "BIT_PACKED";
    case Encoding::kDeltaBinaryPacked:
      return "DELTA_BINARY_PACKED";
    case Encoding::kDeltaLengthByteArray:
      return "DELTA_LENGTH_BYTE_ARRAY";
    case Encoding::kDeltaByteArray:
      return "DELTA_BYTE_ARRAY";
    case Encoding::kRleDictionary:
      return "RLE_DICTIONARY";
    case Encoding::kByteStreamSplit:
      return "BYTE_STREAM_SPLIT";
  }
  return "encoding #" + std::to_string(static_cast<int>(e));
}

// Consumes bytes of one page from the front, checking each read against what is left.
class ByteCursor {
 public:
  explicit ByteCursor(std::string_view bytes) : bytes_(bytes) {}

  std::string_view Take(size_t n, const char* what) {
    if (n > bytes_.size()) {
      throw FormatError(std::string(what) + " needs " + std::to_string(n) +
                        " bytes but the page has " + std::to_string(bytes_.size()) + " left");
    }
    std::string_view taken = bytes_.substr(0, n);
    bytes_.remove_prefix(n);
    return taken;
  }
  uint32_t TakeUint32(const char* what) {
    uint32_t v;
    std::memcpy(&v, Take(4, what).data(), 4);
    return v;
  }
  size_t remaining() const { return bytes_.size(); }

 private:
  std::string_view bytes_;
};

// Serves a column chunk's bytes front to back through a window of a few MiB, so a chunk of a
// hundred megabytes is never allocated, zero-filled and faulted in whole. Views it returns stay
// valid until the next call that moves the window.
class ChunkWindow {
 public:
  ChunkWindow(uint64_t size, const ChunkReader& read) : size_(size), read_(read) {}

  uint64_t remaining() const { return size_ - position_; }

  // The next bytes without consuming them: `n` of them, or all that remain if fewer.
  std::string_view Peek(size_t n) {
    n = static_cast<size_t>(std::min<uint64_t>(n, remaining()));
    Cover(n);
    return std::string_view(window_).substr(position_ - window_start_, n);
  }

  std::string_view Take(size_t n, const char* what) {
    if (n > remaining()) {
      throw FormatError(std::string(what) + " needs " + std::to_string(n) +
                        " bytes but the column chunk has " + std::to_string(remaining()) + " left");
    }
    std::string_view taken = Peek(n);
    position_ += n;
    return taken;
  }

 private:
  static constexpr size_t kWindowBytes = 4 << 20;

  // Makes the window hold [position_, position_ + n).
  void Cover(size_t n) {
    if (position_ + n <= window_start_ + window_.size()) return;
    size_t length = static_cast<size_t>(std::min<uint64_t>(std::max(n, kWindowBytes), remaining()));
    read_(position_, length, &window_);
    window_start_ = position_;
  }

  const uint64_t size_;
  const ChunkReader& read_;
  uint64_t position_ = 0;
  uint64_t window_start_ = 0;
  std::string window_;
};

// Turns levels and PLAIN values of successive pages into rows of one column.
class RowAssembler {
 public:
  RowAssembler(const ColumnSpec& spec, ColumnData* out)
      : spec_(spec), layout_(LayoutOf(spec)), out_(out) {
    out_->type = spec.type;
    if (IsList(spec.type)) out_->list_offsets.push_back(0);
  }

  // Adds one page's worth: `count` levels (empty level vectors mean the column has none).
  void AddPage(const std::vector<uint16_t>& repetition, const std::vector<uint16_t>& definition,
               int64_t count, ByteCursor& values) {
    const int max_def = layout_.max_definition_level;
    int64_t present = count;
    if (max_def > 0) {
      present = 0;
      for (uint16_t d : definition) present += d == max_def;
    }
    if (spec_.type == ColumnType::kFloatList) {
      AddListLevels(repetition, definition, count);
      AppendFixed(values, present, &out_->floats);
    } else if (spec_.type == ColumnType::kStringList) {
      AddListLevels(repetition, definition, count);
      AppendStrings(values, present);
    } else {
      AddScalars(definition, count, present, values);
    }
    if (values.remaining() != 0) {
      throw FormatError("a page has " + std::to_string(values.remaining()) +
                        " bytes after its last value");
    }
  }

  void Finish() {
    if (IsList(spec_.type) && out_->num_rows > 0) {
      out_->list_offsets.push_back(static_cast<int64_t>(ListElements()));
    }
    bool any_null = false;
    for (uint8_t v : out_->valid) any_null |= v == 0;
    if (!any_null) out_->valid.clear();
  }

 private:
  template <typename T>
  static void AppendFixed(ByteCursor& values, int64_t count, std::vector<T>* out) {
    std::string_view bytes = values.Take(static_cast<size_t>(count) * sizeof(T), "the values");
    if (bytes.empty()) return;  // memcpy may not see the null data() of an empty vector
    size_t old_size = out->size();
    out->resize(old_size + static_cast<size_t>(count));
    std::memcpy(out->data() + old_size, bytes.data(), bytes.size());
  }

  // Elements of list rows so far: the flat array list_offsets index into.
  size_t ListElements() const {
    return spec_.type == ColumnType::kStringList ? out_->strings.size() : out_->floats.size();
  }

  void AppendStrings(ByteCursor& values, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      uint32_t size = values.TakeUint32("a string's length");
      out_->strings.emplace_back(values.Take(size, "a string"));
    }
  }

  void AddListLevels(const std::vector<uint16_t>& repetition,
                     const std::vector<uint16_t>& definition, int64_t count) {
    const uint16_t element = static_cast<uint16_t>(layout_.max_definition_level);
    size_t next_value = ListElements();
    for (int64_t i = 0; i < count; ++i) {
      if (repetition[i] == 0) {
        if (out_->num_rows > 0) out_->list_offsets.push_back(static_cast<int64_t>(next_value));
        ++out_->num_rows;
        if (spec_.nullable) out_->valid.push_back(definition[i] > 0);
      } else if (out_->num_rows == 0) {
        throw FormatError("a list continues a row that never started");
      }
      next_value += definition[i] == element;
    }
  }

  void AddScalars(const std::vector<uint16_t>& definition, int64_t count, int64_t present,
                  ByteCursor& values) {
    const size_t first = static_cast<size_t>(out_->num_rows);
    switch (spec_.type) {
      case ColumnType::kString:
        AppendStrings(values, present);
        break;
      case ColumnType::kInt64:
        AppendFixed(values, present, &out_->int64s);
        break;
      case ColumnType::kFloat:
        AppendFixed(values, present, &out_->floats);
        break;
      case ColumnType::kDouble:
        AppendFixed(values, present, &out_->doubles);
        break;
      case ColumnType::kFloatList:
      case ColumnType::kStringList:
        break;
    }
    out_->num_rows += count;
    if (!spec_.nullable) return;
    // Spread the dense values over one slot per row, nulls getting a default slot.
    out_->valid.insert(out_->valid.end(), definition.begin(), definition.end());
    if (present != count) {
      switch (spec_.type) {
        case ColumnType::kString:
          Spread(definition, first, &out_->strings);
          break;
        case ColumnType::kInt64:
          Spread(definition, first, &out_->int64s);
          break;
        case ColumnType::kFloat:
          Spread(definition, first, &out_->floats);
          break;
        case ColumnType::kDouble:
          Spread(definition, first, &out_->doubles);
          break;
        case ColumnType::kFloatList:
        case ColumnType::kStringList:
          break;
      }
    }
  }

  // Moves the dense values that start at `first` to their rows' slots, back to front.
  template <typename T>
  static void Spread(const std::vector<uint16_t>& definition, size_t first, std::vector<T>* v) {
    size_t dense = v->size();
    v->resize(first + definition.size());
    for (size_t i = definition.size(); i-- > 0;) {
      (*v)[first + i] = definition[i] ? std::move((*v)[--dense]) : T{};
    }
  }

  const ColumnSpec& spec_;
  LeafLayout layout_;
  ColumnData* out_;
};

void DecodeLevels(std::string_view bytes, int max_level, int64_t count,
                  std::vector<uint16_t>* levels) {
  DecodeRleHybrid(bytes, BitWidth(static_cast<uint32_t>(max_level)), static_cast<size_t>(count),
                  levels);
  for (uint16_t l : *levels) {
    if (l > max_level) throw FormatError("a level exceeds the column's maximum");
  }
}

void CheckLevelEncoding(Encoding e) {
  if (e != Encoding::kRle) {
    throw FormatError("levels encoded as " + EncodingName(e) + " are not supported (we read RLE)");
  }
}

void CheckValueEncoding(Encoding e) {
  if (e != Encoding::kPlain) {
    throw FormatError("values encoded as " + EncodingName(e) +
                      " are not supported (we read PLAIN; dictionary encoding comes from other "
                      "writers, e.g. Spark or pyarrow defaults)");
  }
}

// Empties *data, keeping its capacity, and reserves what the chunk says it holds, within what
// its bytes could plausibly expand to (a corrupt count must not reserve gigabytes).
void Reset(const ColumnSpec& spec, const ColumnMetaData& metadata, int64_t num_rows,
           uint64_t chunk_bytes, ColumnData* data) {
  constexpr int64_t kMaxExpansion = 64;
  const auto rows = static_cast<size_t>(std::min<int64_t>(num_rows, metadata.num_values));
  const auto values = static_cast<size_t>(std::min<int64_t>(
      metadata.num_values, kMaxExpansion * static_cast<int64_t>(chunk_bytes) / sizeof(float)));
  data->num_rows = 0;
  data->strings.clear();
  data->int64s.clear();
  data->floats.clear();
  data->doubles.clear();
  data->list_offsets.clear();
  data->valid.clear();
  switch (spec.type) {
    case ColumnType::kString:
      data->strings.reserve(rows);
      break;
    case ColumnType::kInt64:
      data->int64s.reserve(rows);
      break;
    case ColumnType::kFloat:
      data->floats.reserve(rows);
      break;
    case ColumnType::kDouble:
      data->doubles.reserve(rows);
      break;
    case ColumnType::kFloatList:
      data->floats.reserve(values);
      data->list_offsets.reserve(rows + 1);
      break;
    case ColumnType::kStringList:
      data->strings.reserve(values);
      data->list_offsets.reserve(rows + 1);
      break;
  }
}

}  // namespace

void DecodeColumnChunk(uint64_t chunk_size, const ChunkReader& read, const ColumnSpec& spec,
                       const ColumnMetaData& metadata, int64_t num_rows, ColumnData* out) {
  const LeafLayout layout = LayoutOf(spec);
  ColumnData& data = *out;
  Reset(spec, metadata, num_rows, chunk_size, &data);
  RowAssembler assembler(spec, &data);
  std::vector<uint16_t> repetition, definition;
  std::string page;
  int64_t values_read = 0;
  ChunkWindow pages(chunk_size, read);
  while (values_read < metadata.num_values) {
    if (pages.remaining() == 0) {
      throw FormatError("the column chunk ends after " + std::to_string(values_read) + " of its " +
                        std::to_string(metadata.num_values) + " values");
    }
    size_t header_size = 0;
    PageHeader header = ParsePageHeader(pages.Peek(kMaxPageHeaderBytes), &header_size);
    pages.Take(header_size, "the page header");
    std::string_view stored =
        pages.Take(static_cast<size_t>(header.compressed_page_size), "a page");
    if (header.uncompressed_page_size > kMaxPageBytes) {
      throw FormatError("a page claims " + std::to_string(header.uncompressed_page_size) +
                        " bytes uncompressed");
    }
    if (header.type == PageType::kDictionaryPage) {
      throw FormatError("dictionary-encoded pages are not supported (we read PLAIN pages)");
    }
    if (header.type == PageType::kIndexPage) continue;

    int64_t count = 0;
    std::string_view values_bytes;
    std::string_view repetition_bytes, definition_bytes;
    if (header.type == PageType::kDataPage && header.data_page_header) {
      const DataPageHeader& d = *header.data_page_header;
      CheckValueEncoding(d.encoding);
      count = d.num_values;
      Decompress(metadata.codec, stored, static_cast<size_t>(header.uncompressed_page_size), &page);
      ByteCursor body(page);
      if (layout.max_repetition_level > 0) {
        CheckLevelEncoding(d.repetition_level_encoding);
        repetition_bytes =
            body.Take(body.TakeUint32("the repetition levels' length"), "the repetition levels");
      }
      if (layout.max_definition_level > 0) {
        CheckLevelEncoding(d.definition_level_encoding);
        definition_bytes =
            body.Take(body.TakeUint32("the definition levels' length"), "the definition levels");
      }
      values_bytes = std::string_view(page).substr(page.size() - body.remaining());
    } else if (header.type == PageType::kDataPageV2 && header.data_page_header_v2) {
      const DataPageHeaderV2& d = *header.data_page_header_v2;
      CheckValueEncoding(d.encoding);
      count = d.num_values;
      ByteCursor body(stored);
      if (d.repetition_levels_byte_length < 0 || d.definition_levels_byte_length < 0) {
        throw FormatError("a page v2 has negative level lengths");
      }
      repetition_bytes = body.Take(d.repetition_levels_byte_length, "the repetition levels");
      definition_bytes = body.Take(d.definition_levels_byte_length, "the definition levels");
      std::string_view values = stored.substr(stored.size() - body.remaining());
      size_t levels_size = stored.size() - values.size();
      if (static_cast<size_t>(header.uncompressed_page_size) < levels_size) {
        throw FormatError("a page v2 is smaller than its levels");
      }
      size_t values_size = static_cast<size_t>(header.uncompressed_page_size) - levels_size;
      if (d.is_compressed) {
        Decompress(metadata.codec, values, values_size, &page);
      } else {
        page.assign(values);
      }
      values_bytes = page;
    } else {
      throw FormatError("a page of type " + std::to_string(static_cast<int>(header.type)) +
                        " without its header, which we do not read");
    }
    if (count < 0 || count > metadata.num_values - values_read) {
      throw FormatError("a page holds more values than its column chunk");
    }
    // Each level is a row or a list element, so a corrupt count cannot make us allocate more.
    // Elements are at least 4 bytes: a float, or a string's length.
    int64_t max_levels = num_rows - data.num_rows;
    if (IsList(spec.type)) max_levels += static_cast<int64_t>(values_bytes.size() / 4);
    if (count > max_levels) {
      throw FormatError("a page holds " + std::to_string(count) +
                        " levels, more than its rows and values allow");
    }
    repetition.clear();
    definition.clear();
    if (layout.max_repetition_level > 0) {
      DecodeLevels(repetition_bytes, layout.max_repetition_level, count, &repetition);
    }
    if (layout.max_definition_level > 0) {
      DecodeLevels(definition_bytes, layout.max_definition_level, count, &definition);
    }
    ByteCursor values(values_bytes);
    assembler.AddPage(repetition, definition, count, values);
    values_read += count;
  }
  assembler.Finish();
  if (data.num_rows != num_rows) {
    throw FormatError("column '" + spec.name + "' has " + std::to_string(data.num_rows) +
                      " rows where its row group has " + std::to_string(num_rows));
  }
}

}  // namespace fruits::parquet
