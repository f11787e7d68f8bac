#include "parquet/rle_hybrid.h"

#include <gtest/gtest.h>

#include <random>

#include "parquet/format_error.h"

namespace fruits::parquet {
namespace {

std::vector<uint16_t> RoundTrip(const std::vector<uint16_t>& values, int bit_width,
                                std::string* encoded = nullptr) {
  std::string bytes;
  EncodeRleHybrid(values, bit_width, &bytes);
  std::vector<uint16_t> back;
  DecodeRleHybrid(bytes, bit_width, values.size(), &back);
  if (encoded) *encoded = bytes;
  return back;
}

TEST(RleHybrid, BitWidth) {
  EXPECT_EQ(BitWidth(0), 0);
  EXPECT_EQ(BitWidth(1), 1);
  EXPECT_EQ(BitWidth(2), 2);
  EXPECT_EQ(BitWidth(3), 2);
  EXPECT_EQ(BitWidth(4), 3);
  EXPECT_EQ(BitWidth(255), 8);
  EXPECT_EQ(BitWidth(65535), 16);
}

TEST(RleHybrid, SpecExampleOfBitPacking) {
  // The specification's example: 0..7 at bit width 3 pack into 0x88 0xC6 0xFA behind header 0x03.
  std::string bytes;
  EncodeRleHybrid(std::vector<uint16_t>{0, 1, 2, 3, 4, 5, 6, 7}, 3, &bytes);
  EXPECT_EQ(bytes, std::string("\x03\x88\xC6\xFA"));
}

TEST(RleHybrid, LongRunIsOneRleRun) {
  std::string bytes;
  EncodeRleHybrid(std::vector<uint16_t>(300, 2), 2, &bytes);
  EXPECT_EQ(bytes, std::string("\xD8\x04\x02"));  // ULEB128(300 << 1), value in one byte
  std::string wide;
  EncodeRleHybrid(std::vector<uint16_t>(10, 0x1234), 16, &wide);
  EXPECT_EQ(wide, std::string("\x14\x34\x12"));  // two little-endian value bytes
}

TEST(RleHybrid, RoundTrips) {
  std::mt19937 rng(1);
  for (int width : {1, 2, 3, 8, 9, 16}) {
    const uint32_t limit = 1u << width;
    for (size_t n : {0, 1, 7, 8, 9, 1000, 100000}) {
      std::vector<uint16_t> random(n), runs(n), alternating(n);
      for (size_t i = 0; i < n; ++i) {
        random[i] = static_cast<uint16_t>(rng() % limit);
        runs[i] = static_cast<uint16_t>((i / (1 + i % 23)) % limit);
        alternating[i] = static_cast<uint16_t>(i % 2);
      }
      EXPECT_EQ(RoundTrip(random, width), random) << width << " " << n;
      EXPECT_EQ(RoundTrip(runs, width), runs) << width << " " << n;
      EXPECT_EQ(RoundTrip(alternating, width), alternating) << width << " " << n;
    }
  }
}

TEST(RleHybrid, RunsOfEveryLengthSideBySide) {
  std::vector<uint16_t> values;
  for (int length = 1; length <= 20; ++length) values.insert(values.end(), length, length % 4);
  for (int length = 20; length >= 1; --length) values.insert(values.end(), length, length % 3);
  EXPECT_EQ(RoundTrip(values, 2), values);
}

TEST(RleHybrid, WidthZeroIsAllZeros) {
  std::vector<uint16_t> zeros(1000, 0);
  EXPECT_EQ(RoundTrip(zeros, 0), zeros);
}

TEST(RleHybrid, RepetitionLevelsOfFeatureRowsAreSmall) {
  std::vector<uint16_t> levels;
  for (int row = 0; row < 100; ++row) {
    levels.push_back(0);
    levels.insert(levels.end(), 1279, 1);
  }
  std::string bytes;
  EXPECT_EQ(RoundTrip(levels, 1, &bytes), levels);
  EXPECT_LT(bytes.size(), 10u * 100);
}

TEST(RleHybrid, ExtraValuesOfTheLastRunAreIgnored) {
  // A bit-packed group of 8 holding only 3 wanted values, and an RLE run longer than wanted.
  std::vector<uint16_t> out;
  DecodeRleHybrid(std::string("\x03\xFF"), 1, 3, &out);
  EXPECT_EQ(out, (std::vector<uint16_t>{1, 1, 1}));
  DecodeRleHybrid(std::string("\xD8\x04\x01"), 1, 5, &out);
  EXPECT_EQ(out, std::vector<uint16_t>(5, 1));
}

TEST(RleHybrid, MalformedInputIsAnError) {
  std::vector<uint16_t> out;
  EXPECT_THROW(DecodeRleHybrid("", 1, 1, &out), FormatError);           // nothing there
  EXPECT_THROW(DecodeRleHybrid("\x05\xFF", 8, 16, &out), FormatError);  // 2 groups, 1 byte
  EXPECT_THROW(DecodeRleHybrid("\x10", 8, 8, &out), FormatError);       // RLE value missing
  EXPECT_THROW(DecodeRleHybrid("\xFF\xFF\xFF\xFF\xFF\x01", 1, 8, &out), FormatError);  // overlong
  EXPECT_THROW(DecodeRleHybrid("\x10\x05", 2, 8, &out), FormatError);  // 5 needs 3 bits
  EXPECT_THROW(DecodeRleHybrid(std::string("\x00\x01", 2), 1, 8, &out), FormatError);  // empty run
  EXPECT_THROW(DecodeRleHybrid("\x10\x01", 1, 9, &out), FormatError);  // ends after 8
  // A huge claimed run allocates only what was asked for.
  DecodeRleHybrid("\xFE\xFF\xFF\xFF\x0F\x01", 1, 4, &out);
  EXPECT_EQ(out.size(), 4u);
}

}  // namespace
}  // namespace fruits::parquet
