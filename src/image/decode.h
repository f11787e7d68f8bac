// Decoding an encoded image (JPEG, PNG, WebP, BMP) into 8-bit RGB.
//
// Bad input is a value, never an exception or a crash: an empty, truncated or non-image file, or
// one above the pixel limit (checked from the header before decoding: decompression bombs),
// gives a Failure whose reason a person can act on. Grey, palette, 16-bit and alpha images are
// converted to 8-bit RGB (alpha dropped, as Pillow's convert("RGB") does; 16-bit keeps the high
// byte); the EXIF orientation of JPEG and PNG files is applied. Damaged data that only the
// decoder detects may make libjpeg or libpng print a warning on stderr. Thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "image/rgb_image.h"
#include "util/result.h"

namespace fruits::image {

struct DecodeOptions {
  // Images with more pixels than this are refused before decoding.
  int64_t max_pixels = 50'000'000;
};

Result<RgbImage> DecodeImage(std::string_view bytes, const DecodeOptions& options);

}  // namespace fruits::image
