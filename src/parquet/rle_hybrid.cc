#include "parquet/rle_hybrid.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "parquet/format_error.h"

namespace fruits::parquet {

namespace {

// Shorter runs of equal values go into bit-packed groups: as an RLE run they would cost more.
constexpr size_t kMinRleRun = 8;
// The specification bounds every run to 1..2^31-1 values, so readers can count in an int32.
constexpr size_t kMaxRunValues = std::numeric_limits<int32_t>::max();
constexpr size_t kMaxBitPackedGroups = kMaxRunValues / 8;
// A ULEB128 run header holds at most 32 bits, which take 5 bytes of 7 bits.
constexpr int kMaxHeaderBytes = 5;

int ValueBytes(int bit_width) { return (bit_width + 7) / 8; }

void AppendUleb128(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void AppendRleRun(uint16_t value, size_t count, int bit_width, std::string* out) {
  while (count > 0) {
    size_t n = std::min(count, kMaxRunValues);
    AppendUleb128(static_cast<uint64_t>(n) << 1, out);
    for (int byte = 0; byte < ValueBytes(bit_width); ++byte) {
      out->push_back(static_cast<char>(value >> (8 * byte)));
    }
    count -= n;
  }
}

// Packs `values` LSB first into bit-packed runs, padding the last group of 8 with zeros.
void AppendBitPacked(std::span<const uint16_t> values, int bit_width, std::string* out) {
  while (!values.empty()) {
    size_t groups = std::min((values.size() + 7) / 8, kMaxBitPackedGroups);
    std::span<const uint16_t> run = values.first(std::min(values.size(), groups * 8));
    values = values.subspan(run.size());
    AppendUleb128((static_cast<uint64_t>(groups) << 1) | 1, out);
    size_t start = out->size();
    out->resize(start + groups * static_cast<size_t>(bit_width));  // zeros: the padding
    char* dst = out->data() + start;
    // Gathers bits in a word and stores them 32 at a time; bits never exceeds 31 + 16.
    uint64_t bits = 0;
    int bit_count = 0;
    for (uint16_t v : run) {
      bits |= static_cast<uint64_t>(v) << bit_count;
      bit_count += bit_width;
      if (bit_count >= 32) {
        for (int byte = 0; byte < 4; ++byte) *dst++ = static_cast<char>(bits >> (8 * byte));
        bits >>= 32;
        bit_count -= 32;
      }
    }
    for (; bit_count > 0; bit_count -= 8, bits >>= 8) *dst++ = static_cast<char>(bits);
  }
}

// End of the run of values equal to values[begin]. Compares eight values per step, because the
// common levels are runs of a thousand or more.
size_t RunEnd(std::span<const uint16_t> values, size_t begin) {
  const uint16_t v = values[begin];
  const uint64_t four_of_v = v * uint64_t{0x0001000100010001};
  size_t i = begin + 1;
  for (; i + 8 <= values.size(); i += 8) {
    uint64_t eight[2];
    std::memcpy(eight, &values[i], sizeof(eight));
    if (((eight[0] ^ four_of_v) | (eight[1] ^ four_of_v)) != 0) break;
  }
  while (i < values.size() && values[i] == v) ++i;
  return i;
}

// Reads runs from the front of the data; each Decode* call appends at most `wanted` values.
class Decoder {
 public:
  Decoder(std::string_view data, int bit_width)
      : next_(reinterpret_cast<const uint8_t*>(data.data())),
        end_(next_ + data.size()),
        bit_width_(bit_width) {}

  void Decode(size_t count, std::vector<uint16_t>* out) {
    while (out->size() < count) {
      uint32_t header = ReadHeader(out->size(), count);
      size_t wanted = count - out->size();
      if (header & 1) {
        DecodeBitPacked(header >> 1, wanted, out);
      } else {
        DecodeRleRun(header >> 1, wanted, out);
      }
    }
  }

 private:
  size_t Left() const { return static_cast<size_t>(end_ - next_); }

  uint32_t ReadHeader(size_t decoded, size_t count) {
    if (next_ == end_) {
      throw FormatError("levels end after " + std::to_string(decoded) + " of " +
                        std::to_string(count) + " values");
    }
    uint64_t v = 0;
    for (int i = 0; i < kMaxHeaderBytes; ++i) {
      if (next_ == end_) throw FormatError("levels end inside a run header");
      uint8_t byte = *next_++;
      v |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
      if ((byte & 0x80) == 0) {
        if (v > std::numeric_limits<uint32_t>::max()) {
          throw FormatError("levels have a run header above 32 bits");
        }
        return static_cast<uint32_t>(v);
      }
    }
    throw FormatError("levels have a run header longer than 5 bytes");
  }

  void DecodeRleRun(uint32_t run, size_t wanted, std::vector<uint16_t>* out) {
    if (run == 0) throw FormatError("levels have an RLE run of 0 values");
    const int value_bytes = ValueBytes(bit_width_);
    if (Left() < static_cast<size_t>(value_bytes)) {
      throw FormatError("levels end inside the value of an RLE run");
    }
    uint32_t value = 0;
    for (int byte = 0; byte < value_bytes; ++byte) value |= uint32_t{*next_++} << (8 * byte);
    if (value >> bit_width_ != 0) {
      throw FormatError("levels repeat " + std::to_string(value) + ", which does not fit in " +
                        std::to_string(bit_width_) + " bits");
    }
    out->insert(out->end(), std::min<size_t>(run, wanted), static_cast<uint16_t>(value));
  }

  void DecodeBitPacked(uint32_t groups, size_t wanted, std::vector<uint16_t>* out) {
    if (groups == 0) throw FormatError("levels have a bit-packed run of 0 values");
    if (groups > kMaxBitPackedGroups) {
      throw FormatError("levels have a bit-packed run of more than 2^31-1 values");
    }
    const size_t bytes = size_t{groups} * static_cast<size_t>(bit_width_);
    if (Left() < bytes) {
      throw FormatError("levels end inside a bit-packed run (" + std::to_string(bytes) +
                        " bytes, " + std::to_string(Left()) + " left)");
    }
    const uint8_t* src = next_;
    const uint8_t* run_end = next_ + bytes;
    next_ = run_end;
    const size_t n = std::min(size_t{groups} * 8, wanted);
    const size_t first = out->size();
    out->resize(first + n);
    uint16_t* dst = out->data() + first;
    const uint32_t mask = (1u << bit_width_) - 1;
    // Refills 32 bits at a time while the run has them; bits never exceeds 15 + 32.
    uint64_t bits = 0;
    int bit_count = 0;
    for (size_t i = 0; i < n; ++i) {
      if (bit_count < bit_width_) {
        if (run_end - src >= 4) {
          uint64_t word = uint64_t{src[0]} | uint64_t{src[1]} << 8 | uint64_t{src[2]} << 16 |
                          uint64_t{src[3]} << 24;
          bits |= word << bit_count;
          bit_count += 32;
          src += 4;
        } else {
          while (bit_count < bit_width_) {
            bits |= uint64_t{*src++} << bit_count;
            bit_count += 8;
          }
        }
      }
      dst[i] = static_cast<uint16_t>(bits & mask);
      bits >>= bit_width_;
      bit_count -= bit_width_;
    }
  }

  const uint8_t* next_;
  const uint8_t* const end_;
  const int bit_width_;
};

}  // namespace

int BitWidth(uint32_t max_value) {
  int width = 0;
  while (width < 32 && (max_value >> width) != 0) ++width;
  return width;
}

void EncodeRleHybrid(std::span<const uint16_t> values, int bit_width, std::string* out) {
  size_t literal_begin = 0;  // values[literal_begin, i) wait to be bit-packed
  size_t i = 0;
  while (i < values.size()) {
    const size_t run_end = RunEnd(values, i);
    // Bit-packed runs hold whole groups of 8, so a long run first lends values to complete the
    // pending literals' last group; what remains becomes an RLE run if it is still long.
    const size_t lend = (8 - (i - literal_begin) % 8) % 8;
    if (run_end - i >= lend + kMinRleRun) {
      AppendBitPacked(values.subspan(literal_begin, i + lend - literal_begin), bit_width, out);
      AppendRleRun(values[i], run_end - i - lend, bit_width, out);
      literal_begin = run_end;
    }
    i = run_end;
  }
  AppendBitPacked(values.subspan(literal_begin), bit_width, out);
}

void DecodeRleHybrid(std::string_view data, int bit_width, size_t count,
                     std::vector<uint16_t>* out) {
  if (bit_width < 0 || bit_width > 16) {
    throw FormatError("levels have bit width " + std::to_string(bit_width) + " (0..16 allowed)");
  }
  out->clear();
  if (bit_width == 0) {
    out->resize(count);
    return;
  }
  out->reserve(count);
  Decoder(data, bit_width).Decode(count, out);
}

}  // namespace fruits::parquet
