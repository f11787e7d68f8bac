// Decodes the pages of one column chunk back into rows.
//
// Reads data pages v1 and v2 with PLAIN values and RLE/bit-packed levels, uncompressed, SNAPPY or
// ZSTD: everything our writer produces, and the same subset from other writers. Dictionary pages
// and other value encodings are refused as unsupported. Every size and count is checked against
// the bytes at hand; a mismatch throws FormatError saying what disagrees. Stateless function.
#pragma once

#include <string_view>

#include "parquet/column_values.h"
#include "parquet/metadata.h"
#include "parquet/schema.h"

namespace fruits::parquet {

// `chunk` holds the column chunk's bytes (total_compressed_size from its first page); the
// result has exactly `num_rows` rows or the call throws.
ColumnData DecodeColumnChunk(std::string_view chunk, const ColumnSpec& spec,
                             const ColumnMetaData& metadata, int64_t num_rows);

}  // namespace fruits::parquet
