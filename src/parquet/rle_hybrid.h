// The RLE / bit-packing hybrid encoding Parquet uses for definition and repetition levels.
//
// A stream of runs, each behind a ULEB128 header: an RLE run (header = count << 1) repeats one
// value stored in ceil(bit_width / 8) little-endian bytes; a bit-packed run (header =
// groups << 1 | 1) holds groups of 8 values packed LSB first. Stateless functions, safe from any
// thread. Decoding throws FormatError on data that ends early or is malformed, and never reads
// past its input.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fruits::parquet {

// Bits needed for values 0..max_value (0 for max_value 0).
int BitWidth(uint32_t max_value);

// Appends the encoding of `values` (each < 2^bit_width, bit_width 0..16) to *out, without the
// 4-byte length prefix data pages v1 put in front.
void EncodeRleHybrid(std::span<const uint16_t> values, int bit_width, std::string* out);

// Replaces *out with exactly `count` values decoded from `data`. A last run may claim more values
// than `count` (bit-packed runs are padded to groups of 8): the extra ones are ignored.
void DecodeRleHybrid(std::string_view data, int bit_width, size_t count,
                     std::vector<uint16_t>* out);

}  // namespace fruits::parquet
