// Decodes the pages of one column chunk back into rows.
//
// Reads data pages v1 and v2 with PLAIN values and RLE/bit-packed levels, uncompressed, SNAPPY or
// ZSTD: everything our writer produces, and the same subset from other writers. Dictionary pages
// and other value encodings are refused as unsupported. Every size and count is checked against
// the bytes at hand; a mismatch throws FormatError saying what disagrees. Stateless function.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "parquet/column_values.h"
#include "parquet/metadata.h"
#include "parquet/schema.h"

namespace fruits::parquet {

// Reads `length` bytes at `offset` within the column chunk into *out (replacing its contents).
using ChunkReader = std::function<void(uint64_t offset, size_t length, std::string* out)>;

// Decodes a column chunk of `chunk_size` bytes (total_compressed_size, from its first page),
// read a few MiB at a time through `read`. Replaces *out with exactly `num_rows` rows, reusing
// its buffers, or throws.
void DecodeColumnChunk(uint64_t chunk_size, const ChunkReader& read, const ColumnSpec& spec,
                       const ColumnMetaData& metadata, int64_t num_rows, ColumnData* out);

}  // namespace fruits::parquet
