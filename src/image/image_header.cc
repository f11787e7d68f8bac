#include "image/image_header.h"

#include <algorithm>
#include <cstdio>

namespace fruits::image {
namespace {

// Every read goes through these: `at` plus the width must lie inside `bytes` (callers check).
uint32_t Be16(std::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at]) << 8 | static_cast<uint8_t>(b[at + 1]));
}
uint32_t Be32(std::string_view b, size_t at) { return Be16(b, at) << 16 | Be16(b, at + 2); }
uint32_t Le16(std::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8);
}
uint32_t Le24(std::string_view b, size_t at) {
  return Le16(b, at) | static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16;
}
uint32_t Le32(std::string_view b, size_t at) { return Le16(b, at) | Le16(b, at + 2) << 16; }

Result<ImageHeader> Truncated(const std::string& format) {
  return Result<ImageHeader>::Failure("truncated " + format + " header");
}
Result<ImageHeader> Corrupt(const std::string& format, const std::string& what) {
  return Result<ImageHeader>::Failure("corrupt " + format + " header: " + what);
}

Result<ImageHeader> Sized(const std::string& format, int64_t width, int64_t height) {
  if (width <= 0 || height <= 0) {
    return Result<ImageHeader>::Failure(format + " header gives an empty image (" +
                                        std::to_string(width) + "x" + std::to_string(height) + ")");
  }
  return ImageHeader{.format = format, .width = width, .height = height};
}

// SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
bool IsStartOfFrame(uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

Result<ImageHeader> ReadJpeg(std::string_view b) {
  size_t pos = 2;  // after SOI
  while (true) {
    if (pos >= b.size()) return Truncated("jpeg");
    if (static_cast<uint8_t>(b[pos]) != 0xFF) {
      return Corrupt("jpeg", "no marker at byte " + std::to_string(pos));
    }
    while (pos < b.size() && static_cast<uint8_t>(b[pos]) == 0xFF) ++pos;  // fill bytes
    if (pos >= b.size()) return Truncated("jpeg");
    const uint8_t marker = static_cast<uint8_t>(b[pos++]);
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no segment
    if (marker == 0xD9 || marker == 0xDA) return Corrupt("jpeg", "image data before any frame");
    if (marker == 0x00 || marker == 0xD8) {
      return Corrupt("jpeg", "misplaced marker at byte " + std::to_string(pos - 2));
    }
    if (pos + 2 > b.size()) return Truncated("jpeg");
    const size_t length = Be16(b, pos);  // counts its own two bytes
    if (length < 2) return Corrupt("jpeg", "segment length below 2");
    if (IsStartOfFrame(marker)) {
      // length, precision, height, width
      if (length < 7) return Corrupt("jpeg", "frame header too short");
      if (pos + 7 > b.size()) return Truncated("jpeg");
      return Sized("jpeg", Be16(b, pos + 5), Be16(b, pos + 3));
    }
    pos += length;
  }
}

Result<ImageHeader> ReadPng(std::string_view b) {
  // signature, IHDR length and type, then width and height
  if (b.size() < 8 + 8 + 8) return Truncated("png");
  if (b.substr(12, 4) != "IHDR") return Corrupt("png", "first chunk is not IHDR");
  const uint32_t width = Be32(b, 16), height = Be32(b, 20);
  if (width > 0x7FFFFFFF || height > 0x7FFFFFFF) return Corrupt("png", "size above 2^31 - 1");
  return Sized("png", width, height);
}

Result<ImageHeader> ReadWebp(std::string_view b) {
  // RIFF, size, WEBP, then the first chunk's type and size; its data starts at byte 20.
  if (b.size() < 20) return Truncated("webp");
  const std::string_view chunk = b.substr(12, 4);
  if (chunk == "VP8 ") {
    // frame tag (3 bytes, bit 0 clear on key frames), start code 9D 01 2A, 14-bit sizes
    if (b.size() < 30) return Truncated("webp");
    if ((static_cast<uint8_t>(b[20]) & 1) != 0)
      return Corrupt("webp", "VP8 data is not a key frame");
    if (b.substr(23, 3) != "\x9D\x01\x2A") return Corrupt("webp", "bad VP8 start code");
    return Sized("webp", Le16(b, 26) & 0x3FFF, Le16(b, 28) & 0x3FFF);
  }
  if (chunk == "VP8L") {
    // signature 0x2F, then width - 1 and height - 1 in 14 bits each
    if (b.size() < 25) return Truncated("webp");
    if (static_cast<uint8_t>(b[20]) != 0x2F) return Corrupt("webp", "bad VP8L signature");
    const uint32_t bits = Le32(b, 21);
    return Sized("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
  }
  if (chunk == "VP8X") {
    // flags and reserved (4 bytes), then canvas width - 1 and height - 1 in 24 bits each
    if (b.size() < 30) return Truncated("webp");
    return Sized("webp", int64_t{Le24(b, 24)} + 1, int64_t{Le24(b, 27)} + 1);
  }
  return Corrupt("webp", "unknown first chunk");
}

Result<ImageHeader> ReadBmp(std::string_view b) {
  // 14-byte file header, then the info header, which starts with its own size
  if (b.size() < 18) return Truncated("bmp");
  const uint32_t info_size = Le32(b, 14);
  if (info_size == 12) {  // BITMAPCOREHEADER: unsigned 16-bit sizes
    if (b.size() < 26) return Truncated("bmp");
    return Sized("bmp", Le16(b, 18), Le16(b, 20));
  }
  if (info_size < 40) {
    return Corrupt("bmp", "unsupported " + std::to_string(info_size) + "-byte info header");
  }
  // BITMAPINFOHEADER and its extensions: signed 32-bit sizes, a negative height is top-down.
  if (b.size() < 26) return Truncated("bmp");
  const int64_t width = static_cast<int32_t>(Le32(b, 18));
  const int64_t height = static_cast<int32_t>(Le32(b, 22));
  if (width < 0) return Corrupt("bmp", "negative width");
  return Sized("bmp", width, height < 0 ? -height : height);
}

std::string StartBytes(std::string_view b) {
  std::string text;
  char hex[4];
  for (size_t i = 0; i < std::min<size_t>(b.size(), 8); ++i) {
    std::snprintf(hex, sizeof hex, i == 0 ? "%02x" : " %02x", static_cast<uint8_t>(b[i]));
    text += hex;
  }
  return text;
}

// Formats people may feed us that OpenCV could decode but we do not accept.
std::string KnownUnsupported(std::string_view b) {
  if (b.starts_with("GIF87a") || b.starts_with("GIF89a")) return "gif";
  if (b.starts_with(std::string_view("II*\0", 4)) || b.starts_with(std::string_view("MM\0*", 4))) {
    return "tiff";
  }
  if (b.size() >= 12 && b.substr(4, 4) == "ftyp") {
    const std::string_view brand = b.substr(8, 4);
    if (brand == "avif" || brand == "avis") return "avif";
    if (brand == "heic" || brand == "heix" || brand == "mif1" || brand == "msf1") return "heif";
  }
  return "";
}

}  // namespace

Result<ImageHeader> ReadImageHeader(std::string_view bytes) {
  if (bytes.empty()) return Result<ImageHeader>::Failure("empty file");
  struct Signature {
    std::string_view magic;
    const char* format;
    Result<ImageHeader> (*read)(std::string_view);
  };
  static constexpr Signature kSignatures[] = {
      {std::string_view("\xFF\xD8\xFF", 3), "jpeg", ReadJpeg},
      {std::string_view("\x89PNG\r\n\x1A\n", 8), "png", ReadPng},
      {std::string_view("RIFF", 4), "webp", ReadWebp},
      {std::string_view("BM", 2), "bmp", ReadBmp},
  };
  for (const Signature& s : kSignatures) {
    if (bytes.size() < s.magic.size() && s.magic.starts_with(bytes)) return Truncated(s.format);
    if (!bytes.starts_with(s.magic)) continue;
    // RIFF also wraps WAV and AVI: only RIFF....WEBP is ours.
    if (s.magic == "RIFF" && bytes.size() >= 12 && bytes.substr(8, 4) != "WEBP") break;
    return s.read(bytes);
  }
  if (std::string format = KnownUnsupported(bytes); !format.empty()) {
    return Result<ImageHeader>::Failure("unsupported image format " + format +
                                        " (fruits reads JPEG, PNG, WebP and BMP)");
  }
  return Result<ImageHeader>::Failure("not an image: unrecognised format (starts with " +
                                      StartBytes(bytes) + ")");
}

}  // namespace fruits::image
