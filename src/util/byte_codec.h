// Little-endian fixed-width integers and length-prefixed byte strings: how fruits writes the
// small binary messages it sends between processes (catalogs, PCA moments) or stores (moments).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.h"

namespace fruits {

inline void AppendU64(std::string& out, uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  out.append(bytes, 8);
}

// REQUIRES: 8 readable bytes at `bytes`.
inline uint64_t LoadU64(const char* bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  return value;
}

// A length, then the bytes.
inline void AppendBytes(std::string& out, std::string_view bytes) {
  AppendU64(out, bytes.size());
  out.append(bytes);
}

// Reads what AppendU64 and AppendBytes wrote, in order. Running past the end throws
// fruits::Error "<what> is truncated".
class ByteReader {
 public:
  ByteReader(std::string_view bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  uint64_t U64() {
    Need(8);
    const uint64_t value = LoadU64(bytes_.data() + at_);
    at_ += 8;
    return value;
  }
  // A view into the reader's input.
  std::string_view Bytes() {
    const uint64_t size = U64();
    Need(size);
    std::string_view bytes = bytes_.substr(at_, size);
    at_ += size;
    return bytes;
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  void Need(uint64_t n) const {
    if (n > bytes_.size() - at_) throw Error(what_ + " is truncated");
  }

  std::string_view bytes_;
  std::string what_;
  size_t at_ = 0;
};

}  // namespace fruits
