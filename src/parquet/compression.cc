#include "parquet/compression.h"

#include <snappy.h>
#include <zstd.h>

#include <cassert>

#include "parquet/format_error.h"

namespace fruits::parquet {

namespace {

// Level 1 keeps ZSTD faster than the inference that feeds it; higher levels gain little on floats.
constexpr int kZstdLevel = 1;

}  // namespace

std::string CodecName(CompressionCodec codec) {
  switch (codec) {
    case CompressionCodec::kUncompressed:
      return "UNCOMPRESSED";
    case CompressionCodec::kSnappy:
      return "SNAPPY";
    case CompressionCodec::kGzip:
      return "GZIP";
    case CompressionCodec::kLzo:
      return "LZO";
    case CompressionCodec::kBrotli:
      return "BROTLI";
    case CompressionCodec::kLz4:
      return "LZ4";
    case CompressionCodec::kZstd:
      return "ZSTD";
    case CompressionCodec::kLz4Raw:
      return "LZ4_RAW";
  }
  return "codec #" + std::to_string(static_cast<int>(codec));
}

bool IsSupportedCodec(CompressionCodec codec) {
  return codec == CompressionCodec::kUncompressed || codec == CompressionCodec::kSnappy ||
         codec == CompressionCodec::kZstd;
}

void Compress(CompressionCodec codec, std::string_view input, std::string* out) {
  switch (codec) {
    case CompressionCodec::kSnappy: {
      out->resize(snappy::MaxCompressedLength(input.size()));
      size_t size = 0;
      snappy::RawCompress(input.data(), input.size(), out->data(), &size);
      out->resize(size);
      return;
    }
    case CompressionCodec::kZstd: {
      out->resize(ZSTD_compressBound(input.size()));
      size_t size = ZSTD_compress(out->data(), out->size(), input.data(), input.size(), kZstdLevel);
      assert(
          !ZSTD_isError(size));  // only fails on a too-small buffer, which compressBound rules out
      out->resize(size);
      return;
    }
    default:
      assert(codec == CompressionCodec::kUncompressed);
      out->assign(input);
  }
}

void Decompress(CompressionCodec codec, std::string_view input, size_t uncompressed_size,
                std::string* out) {
  out->resize(uncompressed_size);
  switch (codec) {
    case CompressionCodec::kUncompressed:
      if (input.size() != uncompressed_size) {
        throw FormatError("an uncompressed page's sizes disagree");
      }
      out->assign(input);
      return;
    case CompressionCodec::kSnappy: {
      size_t size = 0;
      if (!snappy::GetUncompressedLength(input.data(), input.size(), &size) ||
          size != uncompressed_size ||
          !snappy::RawUncompress(input.data(), input.size(), out->data())) {
        throw FormatError("a SNAPPY page does not decompress to its stated size");
      }
      return;
    }
    case CompressionCodec::kZstd: {
      size_t size = ZSTD_decompress(out->data(), out->size(), input.data(), input.size());
      if (ZSTD_isError(size) || size != uncompressed_size) {
        throw FormatError("a ZSTD page does not decompress to its stated size");
      }
      return;
    }
    default:
      throw FormatError("pages compressed with " + CodecName(codec) +
                        " are not supported (we read UNCOMPRESSED, SNAPPY and ZSTD)");
  }
}

}  // namespace fruits::parquet
