// ThumbnailDataUrl: any image DecodeImage reads becomes a JPEG data: URL that fits the side,
// keeps the aspect ratio and the colours, and is never enlarged; bytes that do not decode are a
// Failure with DecodeImage's reason.

#include "report/thumbnail.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "image/decode.h"

namespace fruits::report {
namespace {

constexpr std::string_view kPrefix = "data:image/jpeg;base64,";

// Standard base64 with padding (RFC 4648), as Base64Encode writes it; "" on a bad character.
std::string Base64Decode(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  uint32_t bits = 0;
  int bit_count = 0;
  for (char c : text) {
    if (c == '=') break;
    const size_t value = kAlphabet.find(c);
    if (value == std::string_view::npos) return "";
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      bytes.push_back(static_cast<char>((bits >> bit_count) & 0xff));
    }
  }
  return bytes;
}

TEST(Base64DecodeForTests, DecodesRfc4648Vectors) {
  EXPECT_EQ(Base64Decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(Base64Decode("+/+/"), std::string("\xfb\xff\xbf", 3));
}

// A width x height image, its left half red and its right half blue, encoded as `extension`.
std::string TwoColourImage(int width, int height, const std::string& extension) {
  cv::Mat bgr(height, width, CV_8UC3, cv::Scalar(255, 0, 0));           // blue
  bgr(cv::Rect(0, 0, width / 2, height)).setTo(cv::Scalar(0, 0, 255));  // red
  std::vector<uint8_t> encoded;
  EXPECT_TRUE(cv::imencode(extension, bgr, encoded));
  return std::string(encoded.begin(), encoded.end());
}

// The thumbnail of `bytes` decoded back to pixels; a test failure when there is none.
image::RgbImage DecodedThumbnail(const std::string& bytes, int max_side) {
  const Result<std::string> url = ThumbnailDataUrl(bytes, max_side);
  if (!url.ok()) {
    ADD_FAILURE() << url.error();
    return {};
  }
  EXPECT_EQ(url.value().substr(0, kPrefix.size()), kPrefix);
  const Result<image::RgbImage> decoded =
      image::DecodeImage(Base64Decode(url.value().substr(kPrefix.size())), {});
  if (!decoded.ok()) {
    ADD_FAILURE() << decoded.error();
    return {};
  }
  return decoded.value();
}

// Red, green, blue of one pixel.
std::vector<int> Pixel(const image::RgbImage& rgb, int x, int y) {
  const size_t at = (static_cast<size_t>(y) * rgb.width + x) * 3;
  return {rgb.pixels[at], rgb.pixels[at + 1], rgb.pixels[at + 2]};
}

void ExpectNear(const std::vector<int>& pixel, const std::vector<int>& expected) {
  ASSERT_EQ(pixel.size(), 3u);
  for (int channel = 0; channel < 3; ++channel) {
    EXPECT_NEAR(pixel[channel], expected[channel], 40) << "channel " << channel;
  }
}

TEST(ThumbnailDataUrl, ShrinksJpegAndPngToFitTheSideKeepingAspectAndColours) {
  for (const char* format : {".jpg", ".png"}) {
    SCOPED_TRACE(format);
    const image::RgbImage thumbnail = DecodedThumbnail(TwoColourImage(300, 150, format), 72);
    ASSERT_EQ(thumbnail.width, 72);
    ASSERT_EQ(thumbnail.height, 36);
    ExpectNear(Pixel(thumbnail, 5, 18), {255, 0, 0});
    ExpectNear(Pixel(thumbnail, 66, 18), {0, 0, 255});
  }
}

TEST(ThumbnailDataUrl, FitsATallImageByItsHeight) {
  const image::RgbImage thumbnail = DecodedThumbnail(TwoColourImage(50, 300, ".png"), 72);
  EXPECT_EQ(thumbnail.width, 12);
  EXPECT_EQ(thumbnail.height, 72);
}

TEST(ThumbnailDataUrl, NeverEnlarges) {
  const image::RgbImage thumbnail = DecodedThumbnail(TwoColourImage(20, 10, ".png"), 72);
  EXPECT_EQ(thumbnail.width, 20);
  EXPECT_EQ(thumbnail.height, 10);
}

TEST(ThumbnailDataUrl, BytesThatDoNotDecodeAreAFailureWithTheDecodersReason) {
  std::mt19937 random(7);
  std::string bytes(1000, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xff);
  const Result<std::string> url = ThumbnailDataUrl(bytes, 72);
  ASSERT_FALSE(url.ok());
  EXPECT_FALSE(url.error().empty());
  EXPECT_EQ(url.error(), image::DecodeImage(bytes, {}).error());
  EXPECT_FALSE(ThumbnailDataUrl("", 72).ok());
}

}  // namespace
}  // namespace fruits::report
