// ReadImageHeader on hand-built headers: each format's size fields, the markers a JPEG scan must
// skip, and a Failure (never a read past the buffer) for every prefix of every header.

#include "image/image_header.h"

#include <gtest/gtest.h>

#include <string>

namespace fruits::image {
namespace {

std::string Be16(int v) { return {static_cast<char>(v >> 8), static_cast<char>(v)}; }
std::string Be32(uint32_t v) { return Be16(static_cast<int>(v >> 16)) + Be16(v & 0xFFFF); }
std::string Le16(int v) { return {static_cast<char>(v), static_cast<char>(v >> 8)}; }
std::string Le24(int v) { return Le16(v) + std::string(1, static_cast<char>(v >> 16)); }
std::string Le32(uint32_t v) { return Le16(v & 0xFFFF) + Le16(static_cast<int>(v >> 16)); }

// A JPEG segment: marker, then a length that counts itself.
std::string Segment(int marker, const std::string& data) {
  return std::string{'\xFF', static_cast<char>(marker)} + Be16(static_cast<int>(data.size()) + 2) +
         data;
}

std::string StartOfFrame(int marker, int width, int height) {
  return Segment(marker,
                 std::string(1, 8) + Be16(height) + Be16(width) + "\x03" + std::string(9, '\x11'));
}

const std::string kSoi = "\xFF\xD8";

std::string Jpeg(int sof_marker, int width, int height) {
  return kSoi + Segment(0xE0, std::string("JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 14)) +
         Segment(0xDB, std::string(65, '\x01')) + Segment(0xC4, std::string(20, '\x00')) +
         StartOfFrame(sof_marker, width, height) + Segment(0xDA, std::string(10, '\x00'));
}

std::string Png(uint32_t width, uint32_t height) {
  return std::string("\x89PNG\r\n\x1A\n", 8) + Be32(13) + "IHDR" + Be32(width) + Be32(height) +
         std::string("\x08\x02\0\0\0", 5) + Be32(0);
}

std::string Riff(const std::string& chunk, const std::string& data) {
  return "RIFF" + Le32(static_cast<uint32_t>(12 + data.size())) + "WEBP" + chunk +
         Le32(static_cast<uint32_t>(data.size())) + data;
}

std::string WebpLossy(int width, int height) {
  // frame tag of a key frame, start code, sizes with a 2-bit scale on top
  return Riff("VP8 ", std::string("\x50\x02\x00\x9D\x01\x2A", 6) + Le16(width | 1 << 14) +
                          Le16(height | 2 << 14) + std::string(8, '\0'));
}

std::string WebpLossless(int width, int height) {
  const uint32_t bits = static_cast<uint32_t>(width - 1) | static_cast<uint32_t>(height - 1) << 14;
  return Riff("VP8L", std::string(1, 0x2F) + Le32(bits) + std::string(8, '\0'));
}

std::string WebpExtended(int width, int height) {
  return Riff("VP8X", std::string("\x10\0\0\0", 4) + Le24(width - 1) + Le24(height - 1));
}

std::string Bmp(int32_t width, int32_t height) {
  return "BM" + Le32(0) + Le32(0) + Le32(54) + Le32(40) + Le32(static_cast<uint32_t>(width)) +
         Le32(static_cast<uint32_t>(height)) + Le16(1) + Le16(24) + std::string(24, '\0');
}

void ExpectHeader(const std::string& bytes, const std::string& format, int64_t width,
                  int64_t height) {
  Result<ImageHeader> header = ReadImageHeader(bytes);
  ASSERT_TRUE(header.ok()) << header.error();
  EXPECT_EQ(header.value().format, format);
  EXPECT_EQ(header.value().width, width);
  EXPECT_EQ(header.value().height, height);
}

void ExpectFailure(const std::string& bytes, const std::string& reason) {
  Result<ImageHeader> header = ReadImageHeader(bytes);
  ASSERT_FALSE(header.ok()) << "read as " << header.value().format;
  EXPECT_EQ(header.error(), reason);
}

TEST(ImageHeader, JpegSizeFromEveryFrameMarker) {
  // SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC), which must be skipped like other segments.
  for (int marker = 0xC0; marker <= 0xCF; ++marker) {
    if (marker == 0xC4 || marker == 0xC8 || marker == 0xCC) continue;
    SCOPED_TRACE(marker);
    ExpectHeader(Jpeg(marker, 300, 200), "jpeg", 300, 200);
  }
  ExpectHeader(Jpeg(0xC0, 65535, 1), "jpeg", 65535, 1);
}

TEST(ImageHeader, JpegSkipsLookalikeSegmentsAndFillBytes) {
  const std::string frame = StartOfFrame(0xC2, 640, 480);
  ExpectHeader(kSoi + Segment(0xC4, Be16(0xFFC0) + Be16(7) + Be16(9)) + frame, "jpeg", 640, 480);
  ExpectHeader(kSoi + Segment(0xCC, "\x01\x02") + Segment(0xC8, "") + frame, "jpeg", 640, 480);
  // An EXIF segment holding a thumbnail, with its own SOF, is skipped by its length.
  ExpectHeader(kSoi + Segment(0xE1, "Exif\0\0" + kSoi + StartOfFrame(0xC0, 160, 120)) + frame,
               "jpeg", 640, 480);
  ExpectHeader(kSoi + "\xFF\xFF\xFF" + frame, "jpeg", 640, 480);
}

TEST(ImageHeader, JpegFailures) {
  ExpectFailure(kSoi + Segment(0xDA, "\0") + StartOfFrame(0xC0, 1, 1),
                "corrupt jpeg header: image data before any frame");
  ExpectFailure(kSoi + "\xFF\xD9", "corrupt jpeg header: image data before any frame");
  ExpectFailure(kSoi + std::string("\xFF\xE0\x00\x10JFIFxx", 10), "truncated jpeg header");
  ExpectFailure(kSoi + Segment(0xE0, "JFIF") + "junk", "corrupt jpeg header: no marker at byte 10");
  ExpectFailure(kSoi + std::string("\xFF\xE0\x00\x01", 4),
                "corrupt jpeg header: segment length below 2");
  ExpectFailure(kSoi + StartOfFrame(0xC0, 0, 10), "jpeg header gives an empty image (0x10)");
}

TEST(ImageHeader, Png) {
  ExpectHeader(Png(81, 59), "png", 81, 59);
  // Big sizes are read as they are: judging them is the caller's business.
  ExpectHeader(Png(100000, 100000), "png", 100000, 100000);
  ExpectFailure(Png(0, 59), "png header gives an empty image (0x59)");
  ExpectFailure(Png(0x80000000u, 1), "corrupt png header: size above 2^31 - 1");
  std::string not_ihdr = Png(1, 1);
  not_ihdr.replace(12, 4, "IDAT");
  ExpectFailure(not_ihdr, "corrupt png header: first chunk is not IHDR");
}

TEST(ImageHeader, Webp) {
  ExpectHeader(WebpLossy(16383, 77), "webp", 16383, 77);
  ExpectHeader(WebpLossless(16384, 1), "webp", 16384, 1);
  ExpectHeader(WebpExtended(1 << 24, 3000), "webp", 1 << 24, 3000);
  std::string inter_frame = WebpLossy(10, 10);
  inter_frame[20] = '\x51';
  ExpectFailure(inter_frame, "corrupt webp header: VP8 data is not a key frame");
  std::string bad_code = WebpLossy(10, 10);
  bad_code[23] = '\0';
  ExpectFailure(bad_code, "corrupt webp header: bad VP8 start code");
  ExpectFailure(Riff("VP8L", std::string(1, 0x2E) + std::string(12, 0)),
                "corrupt webp header: bad VP8L signature");
  ExpectFailure(Riff("ICCP", std::string(20, '\0')), "corrupt webp header: unknown first chunk");
}

TEST(ImageHeader, Bmp) {
  ExpectHeader(Bmp(81, 59), "bmp", 81, 59);
  ExpectHeader(Bmp(81, -59), "bmp", 81, 59);  // top-down
  ExpectHeader("BM" + std::string(12, '\0') + Le32(12) + Le16(640) + Le16(480) + Le16(1) + Le16(24),
               "bmp", 640, 480);
  ExpectFailure(Bmp(-81, 59), "corrupt bmp header: negative width");
  ExpectFailure(Bmp(81, 0), "bmp header gives an empty image (81x0)");
  ExpectFailure("BM" + std::string(12, '\0') + Le32(20) + std::string(16, '\0'),
                "corrupt bmp header: unsupported 20-byte info header");
}

TEST(ImageHeader, EveryPrefixIsTruncated) {
  const std::pair<std::string, std::string> headers[] = {
      {"jpeg", Jpeg(0xC0, 300, 200)}, {"png", Png(81, 59)},           {"webp", WebpLossy(81, 59)},
      {"webp", WebpLossless(81, 59)}, {"webp", WebpExtended(81, 59)}, {"bmp", Bmp(81, 59)},
  };
  for (const auto& [format, bytes] : headers) {
    const size_t complete = bytes.size();
    for (size_t n = 1; n < complete; ++n) {
      // A copy of exactly n bytes: AddressSanitizer sees any read past it.
      const std::string prefix = bytes.substr(0, n);
      Result<ImageHeader> header = ReadImageHeader(prefix);
      if (header.ok()) continue;  // the size fields came before the cut
      EXPECT_EQ(header.error(), "truncated " + format + " header")
          << format << ", " << n << " bytes";
    }
  }
  ExpectFailure("", "empty file");
}

TEST(ImageHeader, NotImages) {
  ExpectFailure("hello world\n",
                "not an image: unrecognised format (starts with 68 65 6c 6c 6f 20 77 6f)");
  ExpectFailure("\x01", "not an image: unrecognised format (starts with 01)");
  ExpectFailure("RIFF" + Le32(100) + "WAVEfmt ",
                "not an image: unrecognised format (starts with 52 49 46 46 64 00 00 00)");
  const std::string kAccepted = " (fruits reads JPEG, PNG, WebP and BMP)";
  ExpectFailure("GIF89a\x01\x00", "unsupported image format gif" + kAccepted);
  ExpectFailure(std::string("II*\0\x08\0\0\0", 8), "unsupported image format tiff" + kAccepted);
  ExpectFailure(std::string("\0\0\0\x18", 4) + "ftypheic" + std::string(8, '\0'),
                "unsupported image format heif" + kAccepted);
  ExpectFailure(std::string("\0\0\0\x18", 4) + "ftypavif" + std::string(8, '\0'),
                "unsupported image format avif" + kAccepted);
}

}  // namespace
}  // namespace fruits::image
