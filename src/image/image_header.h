// The format and size of an encoded image, read from its header without decoding it.
//
// Used to refuse decompression bombs before any pixel is allocated, and to name what a file
// is when it cannot be decoded. Reads JPEG (SOF markers), PNG (IHDR), WebP (VP8, VP8L, VP8X) and
// BMP headers. Thread-safe (a pure function).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace fruits::image {

struct ImageHeader {
  std::string format;  // "jpeg", "png", "webp" or "bmp"
  int64_t width = 0;
  int64_t height = 0;
};

// Failure reasons say what was found: "empty file", "not an image: unrecognised format (starts
// with 68 65 6c 6c ...)", "unsupported image format gif ...", "truncated jpeg header", "corrupt
// png header: ...", "png header gives an empty image (0x16)". Never reads past `bytes`.
Result<ImageHeader> ReadImageHeader(std::string_view bytes);

}  // namespace fruits::image
