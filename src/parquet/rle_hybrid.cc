#include "parquet/rle_hybrid.h"

#include <algorithm>

#include "parquet/format_error.h"

namespace fruits::parquet {

namespace {

// Runs shorter than this go into bit-packed groups: an RLE run of fewer values costs more.
constexpr size_t kMinRleRun = 8;

void AppendUleb128(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void AppendRleRun(uint16_t value, size_t count, int bit_width, std::string* out) {
  AppendUleb128(static_cast<uint64_t>(count) << 1, out);
  for (int byte = 0; byte < (bit_width + 7) / 8; ++byte) {
    out->push_back(static_cast<char>(value >> (8 * byte)));
  }
}

// Packs values (padded with zeros to a multiple of 8) LSB first behind one bit-packed header.
void AppendBitPacked(std::span<const uint16_t> values, int bit_width, std::string* out) {
  size_t groups = (values.size() + 7) / 8;
  AppendUleb128((static_cast<uint64_t>(groups) << 1) | 1, out);
  size_t start = out->size();
  out->resize(start + groups * static_cast<size_t>(bit_width));
  auto* bytes = reinterpret_cast<uint8_t*>(out->data() + start);
  size_t bit = 0;
  for (uint16_t v : values) {
    for (int b = 0; b < bit_width; ++b, ++bit) {
      if ((v >> b) & 1) bytes[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    }
  }
}

// Length of the run of equal values starting at values[i].
size_t RunLength(std::span<const uint16_t> values, size_t i) {
  const uint16_t v = values[i];
  size_t end = i + 1;
  while (end < values.size() && values[end] == v) ++end;
  return end - i;
}

class Decoder {
 public:
  Decoder(std::string_view data, int bit_width) : data_(data), bit_width_(bit_width) {}

  void Decode(size_t count, std::vector<uint16_t>* out) {
    out->clear();
    out->reserve(count);
    while (out->size() < count) {
      uint64_t header = ReadUleb128();
      size_t wanted = count - out->size();
      if (header & 1) {
        DecodeBitPacked(header >> 1, wanted, out);
      } else {
        DecodeRleRun(header >> 1, wanted, out);
      }
    }
  }

 private:
  uint8_t ReadByte() {
    if (pos_ >= data_.size()) throw FormatError("levels end before all their values");
    return static_cast<uint8_t>(data_[pos_++]);
  }

  uint64_t ReadUleb128() {
    uint64_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      uint8_t byte = ReadByte();
      v |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    throw FormatError("levels have a run header longer than 5 bytes");
  }

  void DecodeRleRun(uint64_t run, size_t wanted, std::vector<uint16_t>* out) {
    if (run == 0) throw FormatError("levels have an empty run");
    uint32_t value = 0;
    for (int byte = 0; byte < (bit_width_ + 7) / 8; ++byte) value |= ReadByte() << (8 * byte);
    if (value >> bit_width_ != 0) throw FormatError("a level is wider than its bit width");
    out->insert(out->end(), std::min<uint64_t>(run, wanted), static_cast<uint16_t>(value));
  }

  void DecodeBitPacked(uint64_t groups, size_t wanted, std::vector<uint16_t>* out) {
    if (groups == 0) throw FormatError("levels have an empty bit-packed run");
    uint64_t bytes = groups * static_cast<uint64_t>(bit_width_);
    if (bytes > data_.size() - pos_) throw FormatError("bit-packed levels end early");
    const auto* packed = reinterpret_cast<const uint8_t*>(data_.data() + pos_);
    pos_ += bytes;
    size_t n = static_cast<size_t>(std::min<uint64_t>(groups * 8, wanted));
    size_t bit = 0;
    for (size_t i = 0; i < n; ++i) {
      uint32_t v = 0;
      for (int b = 0; b < bit_width_; ++b, ++bit) v |= ((packed[bit / 8] >> (bit % 8)) & 1u) << b;
      out->push_back(static_cast<uint16_t>(v));
    }
  }

  std::string_view data_;
  int bit_width_;
  size_t pos_ = 0;
};

}  // namespace

int BitWidth(uint32_t max_value) {
  int width = 0;
  while (max_value >> width) ++width;
  return width;
}

void EncodeRleHybrid(std::span<const uint16_t> values, int bit_width, std::string* out) {
  size_t literal_begin = 0;  // values[literal_begin, i) wait for a bit-packed run
  size_t i = 0;
  while (i < values.size()) {
    size_t run = RunLength(values, i);
    // Complete the pending literals' last group of 8 from this run, if it stays long enough.
    size_t pad = (8 - (i - literal_begin) % 8) % 8;
    if (run >= pad + kMinRleRun) {
      i += pad;
      run -= pad;
      if (i > literal_begin)
        AppendBitPacked(values.subspan(literal_begin, i - literal_begin), bit_width, out);
      AppendRleRun(values[i], run, bit_width, out);
      i += run;
      literal_begin = i;
    } else {
      i += run;
    }
  }
  if (i > literal_begin)
    AppendBitPacked(values.subspan(literal_begin, i - literal_begin), bit_width, out);
}

void DecodeRleHybrid(std::string_view data, int bit_width, size_t count,
                     std::vector<uint16_t>* out) {
  if (bit_width < 0 || bit_width > 16) throw FormatError("a level bit width is out of range");
  Decoder(data, bit_width).Decode(count, out);
}

}  // namespace fruits::parquet
