#include "image/decode.h"

#include <webp/decode.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <exception>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "image/image_header.h"

namespace fruits::image {
namespace {

uint32_t Be32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(b[at + i]);
  return v;
}
uint32_t Le32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 4; i-- > 0;) v = v << 8 | static_cast<uint8_t>(b[at + i]);
  return v;
}
uint8_t At(std::string_view b, size_t at) { return static_cast<uint8_t>(b[at]); }

// libjpeg decodes a truncated file without an error (OpenCV's source manager pads it with a fake
// end marker), so the marker structure is walked here: every segment skipped by its length, every
// scan's entropy-coded data skipped to the next marker, until the EOI marker. Pillow refuses the
// same files ("image file is truncated"), a missing EOI included.
bool JpegReachesEnd(std::string_view b) {
  size_t pos = 2;  // after SOI
  while (pos < b.size()) {
    // Like libjpeg, skip whatever stands between a segment and the next marker.
    const void* ff = std::memchr(b.data() + pos, 0xFF, b.size() - pos);
    if (ff == nullptr) return false;
    pos = static_cast<const char*>(ff) - b.data();
    while (pos < b.size() && At(b, pos) == 0xFF) ++pos;
    if (pos >= b.size()) return false;
    const uint8_t marker = At(b, pos++);
    if (marker == 0xD9) return true;
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;
    if (pos + 2 > b.size()) return false;
    pos += (At(b, pos) << 8) | At(b, pos + 1);
    if (marker != 0xDA) continue;
    // Entropy-coded data: 0xFF is followed by a stuffed 0x00, a restart marker, or fill bytes;
    // anything else is the next marker, where the loop above takes over.
    while (true) {
      ff = pos < b.size() ? std::memchr(b.data() + pos, 0xFF, b.size() - pos) : nullptr;
      if (ff == nullptr) return false;
      pos = static_cast<const char*>(ff) - b.data();
      if (pos + 1 >= b.size()) return false;
      const uint8_t next = At(b, pos + 1);
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        pos += 2;
      } else if (next == 0xFF) {
        ++pos;
      } else {
        break;
      }
    }
  }
  return false;
}

// Walks the chunks to IEND. libpng refuses a file that ends earlier too, but prints "libpng
// error" on stderr first (OpenCV installs no error handler), which this check spares.
bool PngReachesEnd(std::string_view b) {
  size_t pos = 8;  // after the signature
  while (pos + 8 <= b.size()) {
    const uint32_t length = Be32(b, pos);
    if (length > 0x7FFFFFFF) return false;
    if (b.substr(pos + 4, 4) == "IEND") return pos + 12 <= b.size();
    pos += 12 + static_cast<size_t>(length);  // length, type, data, CRC
  }
  return false;
}

// libwebp refuses incomplete data itself; the RIFF size gives the same answer without decoding.
bool WebpComplete(std::string_view b) { return 8 + static_cast<uint64_t>(Le32(b, 4)) <= b.size(); }

// Uncompressed BMP rows have a known size. OpenCV refuses a short file too, but logs a warning on
// stderr first. Compressed (RLE) files are left to OpenCV.
bool BmpComplete(std::string_view b, const ImageHeader& header) {
  const uint32_t info_size = Le32(b, 14);
  uint32_t bits = 0;
  if (info_size == 12) {
    bits = At(b, 24) | At(b, 25) << 8;
  } else {
    if (b.size() < 34) return false;
    const uint32_t compression = Le32(b, 30);
    if (compression != 0 && compression != 3) return true;  // BI_RGB and BI_BITFIELDS only
    bits = At(b, 28) | At(b, 29) << 8;
  }
  const uint64_t row = (static_cast<uint64_t>(header.width) * bits + 31) / 32 * 4;
  return Le32(b, 10) + row * static_cast<uint64_t>(header.height) <= b.size();
}

// Why the bytes cannot be a whole image, or "" when they can.
std::string Incomplete(std::string_view b, const ImageHeader& header) {
  if (header.format == "jpeg" && !JpegReachesEnd(b)) {
    return "truncated jpeg: the file ends before its end-of-image marker";
  }
  if (header.format == "png" && !PngReachesEnd(b)) {
    return "truncated png: the file ends before its IEND chunk";
  }
  if (header.format == "webp") {
    if (!WebpComplete(b)) return "truncated webp: the file is shorter than its RIFF size";
    // VP8X flags: bit 1 is animation, which OpenCV 4.6 cannot decode.
    if (b.substr(12, 4) == "VP8X" && (At(b, 20) & 0x02) != 0) {
      return "animated webp is not supported";
    }
  }
  if (header.format == "bmp" && !BmpComplete(b, header)) {
    return "truncated bmp: the file is shorter than its pixel data";
  }
  return "";
}

std::string PixelLimitReason(const ImageHeader& header, int64_t max_pixels) {
  char text[200];
  std::snprintf(text, sizeof text,
                "image is %lldx%lld = %.1f megapixels, above the %g megapixel limit "
                "(--max-megapixels)",
                static_cast<long long>(header.width), static_cast<long long>(header.height),
                static_cast<double>(header.width * header.height) / 1e6,
                static_cast<double>(max_pixels) / 1e6);
  return text;
}

// imdecode gives the bytes to the first of its decoders whose signature check accepts them. Ours
// are the only ones for JPEG, PNG and BMP magic numbers, but OpenCV's WebP decoder declines a
// RIFF/WEBP file unless libwebp reads features from its first 32 bytes, and the bytes then go on
// to the decoders after it: GDCM (DICOM) and GDAL, which read many formats from a temporary file,
// and abort or decode something other than the header we checked. So those bytes stop here.
constexpr size_t kOpenCvWebpSignatureBytes = 32;

bool OpenCvTakesAsWebp(std::string_view bytes) {
  WebPBitstreamFeatures features;
  return bytes.size() >= kOpenCvWebpSignatureBytes &&
         WebPGetFeatures(reinterpret_cast<const uint8_t*>(bytes.data()), kOpenCvWebpSignatureBytes,
                         &features) == VP8_STATUS_OK;
}

}  // namespace

Result<RgbImage> DecodeImage(std::string_view bytes, const DecodeOptions& options) {
  Result<ImageHeader> read = ReadImageHeader(bytes);
  if (!read.ok()) return Result<RgbImage>::Failure(read.error());
  const ImageHeader& header = read.value();
  if (header.width * header.height > options.max_pixels) {
    return Result<RgbImage>::Failure(PixelLimitReason(header, options.max_pixels));
  }
  if (bytes.size() > INT_MAX) {
    return Result<RgbImage>::Failure("file too large to decode (2 GiB at most)");
  }
  if (std::string reason = Incomplete(bytes, header); !reason.empty()) {
    return Result<RgbImage>::Failure(reason);
  }
  if (header.format == "webp" && !OpenCvTakesAsWebp(bytes)) {
    return Result<RgbImage>::Failure("corrupt webp header: libwebp does not read its first " +
                                     std::to_string(kOpenCvWebpSignatureBytes) + " bytes");
  }
  try {
    // imdecode only reads its input; cv::Mat has no constructor over const data.
    const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8UC1,
                          const_cast<char*>(bytes.data()));
    // Decoded straight into the image's buffer when OpenCV agrees with the header on the size;
    // an EXIF rotation by a quarter turn gives a buffer of its own.
    RgbImage image{.width = static_cast<int>(header.width),
                   .height = static_cast<int>(header.height)};
    image.pixels.resize(static_cast<size_t>(header.width * header.height * 3));
    cv::Mat bgr(image.height, image.width, CV_8UC3, image.pixels.data());
    // IMREAD_COLOR: grey and palette expanded, 16-bit cut to its high byte, alpha dropped, EXIF
    // orientation applied (JPEG and PNG), all as Pillow's exif_transpose + convert("RGB").
    cv::imdecode(encoded, cv::IMREAD_COLOR, &bgr);
    if (bgr.empty() || bgr.type() != CV_8UC3) {
      return Result<RgbImage>::Failure("corrupt " + header.format +
                                       " data: the decoder refused it");
    }
    image.width = bgr.cols;
    image.height = bgr.rows;
    const size_t row_bytes = static_cast<size_t>(bgr.cols) * 3;
    if (bgr.data != image.pixels.data()) {
      image.pixels.resize(row_bytes * bgr.rows);
      for (int y = 0; y < bgr.rows; ++y) {
        std::memcpy(image.pixels.data() + y * row_bytes, bgr.ptr(y), row_bytes);
      }
    }
    // BGR to RGB by hand: cv::cvtColor would hand large images to OpenCV's thread pool, and
    // parallelism belongs to the pipeline.
    for (size_t i = 0; i < image.pixels.size(); i += 3) {
      std::swap(image.pixels[i], image.pixels[i + 2]);
    }
    return image;
  } catch (const cv::Exception& e) {
    return Result<RgbImage>::Failure("cannot decode " + header.format + ": " + e.err);
  } catch (const std::exception& e) {  // bad_alloc above all: a large image, little memory
    return Result<RgbImage>::Failure("cannot decode " + header.format + ": " + e.what());
  }
}

}  // namespace fruits::image
