// The RLE / bit-packing hybrid encoding Parquet uses for definition and repetition levels.
//
// The data is a sequence of runs, each behind a ULEB128 header. An RLE run (header = count << 1)
// repeats one value stored in ceil(bit_width / 8) little-endian bytes; a bit-packed run (header =
// groups << 1 | 1) holds groups of 8 values packed LSB first, bit_width bytes per group.
// Every function is stateless and safe to call from any thread. Decoding throws FormatError when
// the data ends early or is malformed, and never reads past its input.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fruits::parquet {

// Number of bits needed to store values 0..max_value (0 for max_value 0).
int BitWidth(uint32_t max_value);

// Appends the hybrid encoding of `values` (each < 2^bit_width, bit_width 0..16) to *out.
// No 4-byte length prefix: the caller adds it where the format wants one (data pages v1).
void EncodeRleHybrid(std::span<const uint16_t> values, int bit_width, std::string* out);

// Decodes exactly `count` values from `data` into *out (replacing its contents).
// Runs may hold more values than are still wanted (the last bit-packed group is padded, and other
// writers may end on a longer RLE run): the surplus and any bytes after it are ignored. At
// bit_width 0 every value is 0 and `data` is not read, so it may be empty. `count` is trusted
// (the caller bounds it): room for `count` values is reserved before the data is read.
void DecodeRleHybrid(std::string_view data, int bit_width, size_t count,
                     std::vector<uint16_t>* out);

}  // namespace fruits::parquet
