// Page compression: the codecs our files use (none, SNAPPY, ZSTD).
//
// Stateless functions, safe from any thread. Decompress throws FormatError when the bytes are not
// valid for the codec or do not expand to exactly the size the page header promised, so a corrupt
// page is reported, never returned as garbage.
#pragma once

#include <string>
#include <string_view>

#include "parquet/metadata.h"

namespace fruits::parquet {

// The codec's name as Parquet tools print it ("SNAPPY").
std::string CodecName(CompressionCodec codec);

// True for the codecs we read and write.
bool IsSupportedCodec(CompressionCodec codec);

// Replaces *out with `input` compressed by `codec`. REQUIRES: IsSupportedCodec(codec).
void Compress(CompressionCodec codec, std::string_view input, std::string* out);

// Replaces *out with `input` decompressed into exactly `uncompressed_size` bytes.
void Decompress(CompressionCodec codec, std::string_view input, size_t uncompressed_size,
                std::string* out);

}  // namespace fruits::parquet
