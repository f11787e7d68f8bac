// Image files from strangers: ReadImageHeader, then DecodeImage (OpenCV's JPEG, PNG, WebP and BMP
// decoders behind our header checks).
//
// Bad input is a Failure value, never an exception. A decoded image must hold width * height * 3
// bytes and no more pixels than the limit: the limit is checked from the header, so a decoder
// that finds more pixels than the header said would let decompression bombs through. The limit
// is lower than the default so that mutated headers do not spend the run decoding huge images.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "image/decode.h"
#include "image/image_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fruits::Result<fruits::image::ImageHeader> header = fruits::image::ReadImageHeader(bytes);
  if (header.ok() && (header.value().width <= 0 || header.value().height <= 0)) __builtin_trap();
  const fruits::image::DecodeOptions options{.max_pixels = 1 << 20};
  fruits::Result<fruits::image::RgbImage> image = fruits::image::DecodeImage(bytes, options);
  if (!image.ok()) return 0;
  const fruits::image::RgbImage& rgb = image.value();
  if (rgb.width <= 0 || rgb.height <= 0) __builtin_trap();
  const int64_t pixels = int64_t{rgb.width} * rgb.height;
  if (pixels > options.max_pixels) __builtin_trap();
  if (rgb.pixels.size() != static_cast<size_t>(pixels) * 3) __builtin_trap();
  return 0;
}
