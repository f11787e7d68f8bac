#include "parquet/rle_hybrid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "parquet/format_error.h"

namespace fruits::parquet {
namespace {

std::string Encode(const std::vector<uint16_t>& values, int bit_width) {
  std::string bytes;
  EncodeRleHybrid(values, bit_width, &bytes);
  return bytes;
}

std::vector<uint16_t> Decode(std::string_view bytes, int bit_width, size_t count) {
  // A heap copy of exact size, so that AddressSanitizer sees a read past the end.
  const std::unique_ptr<char[]> data(new char[bytes.size()]);
  std::copy(bytes.begin(), bytes.end(), data.get());
  std::vector<uint16_t> values = {7, 7, 7};  // decoding must replace, not append
  DecodeRleHybrid(std::string_view(data.get(), bytes.size()), bit_width, count, &values);
  return values;
}

std::vector<uint16_t> RoundTrip(const std::vector<uint16_t>& values, int bit_width) {
  return Decode(Encode(values, bit_width), bit_width, values.size());
}

// The message of the FormatError that decoding throws, or "" when it does not throw.
std::string DecodeError(std::string_view bytes, int bit_width, size_t count) {
  try {
    Decode(bytes, bit_width, count);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

// Values below 2^bit_width in runs whose lengths are drawn from 1..max_run.
std::vector<uint16_t> RandomRuns(size_t n, int bit_width, size_t max_run, std::mt19937* rng) {
  std::vector<uint16_t> values;
  values.reserve(n);
  while (values.size() < n) {
    size_t run = std::min<size_t>(1 + (*rng)() % max_run, n - values.size());
    values.insert(values.end(), run, static_cast<uint16_t>((*rng)() & ((1u << bit_width) - 1)));
  }
  return values;
}

TEST(RleHybrid, BitWidth) {
  const std::vector<std::pair<uint32_t, int>> table = {
      {0, 0},   {1, 1},   {2, 2},   {3, 2},      {4, 3},      {7, 3},         {8, 4},
      {255, 8}, {256, 9}, {511, 9}, {65535, 16}, {65536, 17}, {1u << 31, 32}, {0xFFFFFFFF, 32}};
  for (auto [max_value, width] : table) EXPECT_EQ(BitWidth(max_value), width) << max_value;
}

TEST(RleHybrid, SpecExampleOfBitPacking) {
  // The specification packs 0..7 at bit width 3 into 10001000 11000110 11111010.
  const std::vector<uint16_t> values = {0, 1, 2, 3, 4, 5, 6, 7};
  const std::string bytes("\x03\x88\xC6\xFA");  // header: 1 group << 1 | 1
  EXPECT_EQ(Encode(values, 3), bytes);
  EXPECT_EQ(Decode(bytes, 3, 8), values);
}

TEST(RleHybrid, RleRunBytes) {
  // Header ULEB128(300 << 1) = D8 04, then the value in ceil(bit_width / 8) bytes.
  EXPECT_EQ(Encode(std::vector<uint16_t>(300, 2), 2), std::string("\xD8\x04\x02"));
  EXPECT_EQ(Encode(std::vector<uint16_t>(10, 0x1234), 16), std::string("\x14\x34\x12"));
  EXPECT_EQ(Encode(std::vector<uint16_t>(8, 0x1FF), 9), std::string("\x10\xFF\x01"));
  EXPECT_EQ(Decode("\xD8\x04\x02", 2, 300), std::vector<uint16_t>(300, 2));
}

TEST(RleHybrid, ShortInputIsOnePaddedGroup) {
  EXPECT_EQ(Encode({}, 1), "");
  EXPECT_EQ(Encode({1, 0, 1}, 1), std::string("\x03\x05"));
  EXPECT_EQ(Encode({3, 3, 3, 3, 3, 3, 3}, 2), std::string("\x03\xFF\x3F"));  // 7 equal: packed
}

TEST(RleHybrid, LongRunLendsValuesToCompleteAGroup) {
  // 1 0 1 and five 1s from the run fill one group (0xFD LSB first); 15 ones remain as RLE.
  std::vector<uint16_t> values = {1, 0, 1};
  values.insert(values.end(), 20, 1);
  EXPECT_EQ(Encode(values, 1), std::string("\x03\xFD\x1E\x01"));
  EXPECT_EQ(RoundTrip(values, 1), values);
}

TEST(RleHybrid, WidthZeroWritesOnlyHeaders) {
  EXPECT_EQ(Encode(std::vector<uint16_t>(1000, 0), 0), std::string("\xD0\x0F"));
  EXPECT_EQ(Encode(std::vector<uint16_t>(5, 0), 0), std::string("\x03"));  // 1 group, 0 bytes
  // Every value is 0 at width 0, so decoding needs no data at all.
  EXPECT_EQ(Decode("", 0, 5), std::vector<uint16_t>(5, 0));
  EXPECT_EQ(Decode("\xD0\x0F", 0, 1000), std::vector<uint16_t>(1000, 0));
}

TEST(RleHybrid, RoundTrips) {
  std::mt19937 rng(42);
  for (int width : {0, 1, 2, 3, 8, 9, 16}) {
    const uint32_t limit = 1u << width;
    for (size_t n : {0, 1, 7, 8, 9, 1000, 1000000}) {
      std::vector<uint16_t> random(n), alternating(n), top(n, static_cast<uint16_t>(limit - 1));
      for (size_t i = 0; i < n; ++i) {
        random[i] = static_cast<uint16_t>(rng() % limit);
        alternating[i] = static_cast<uint16_t>(i % 2 % limit);
      }
      EXPECT_EQ(RoundTrip(random, width), random) << "random, width " << width << ", n " << n;
      EXPECT_EQ(RoundTrip(alternating, width), alternating) << "alternating " << width << " " << n;
      EXPECT_EQ(RoundTrip(top, width), top) << "one long run " << width << " " << n;
      std::vector<uint16_t> short_runs = RandomRuns(n, width, 20, &rng);
      EXPECT_EQ(RoundTrip(short_runs, width), short_runs) << "short runs " << width << " " << n;
      std::vector<uint16_t> long_runs = RandomRuns(n, width, 3000, &rng);
      EXPECT_EQ(RoundTrip(long_runs, width), long_runs) << "long runs " << width << " " << n;
    }
  }
}

TEST(RleHybrid, RunLengthsOneToTwentySideBySide) {
  for (int width : {1, 2, 3, 8, 9, 16}) {
    std::vector<uint16_t> values;
    for (int length = 1; length <= 20; ++length) {
      values.insert(values.end(), length, static_cast<uint16_t>(length % 2));
    }
    for (int length = 20; length >= 1; --length) {
      values.insert(values.end(), length, static_cast<uint16_t>((length * 37) % (1 << width)));
    }
    EXPECT_EQ(RoundTrip(values, width), values) << width;
  }
}

TEST(RleHybrid, RepetitionLevelsOfListRowsAreSmall) {
  std::vector<uint16_t> levels;
  for (int row = 0; row < 100; ++row) {
    levels.push_back(0);
    levels.insert(levels.end(), 1279, 1);
  }
  const std::string bytes = Encode(levels, 1);
  EXPECT_LT(bytes.size(), 10u * 100);
  // Each row: one group 0 1 1 1 1 1 1 1, then an RLE run of 1272 ones.
  EXPECT_EQ(bytes.substr(0, 5), std::string("\x03\xFE\xF0\x13\x01"));
  EXPECT_EQ(Decode(bytes, 1, levels.size()), levels);
}

TEST(RleHybrid, DecodesRunsOurEncoderDoesNotWrite) {
  // An RLE run of 1, a bit-packed run of 2 groups, then an RLE run of 2, at width 2.
  const std::string bytes("\x02\x03\x05\xE4\xE4\x1B\x1B\x04\x01", 9);
  const std::vector<uint16_t> values = {3, 0, 1, 2, 3, 0, 1, 2, 3, 3, 2, 1, 0, 3, 2, 1, 0, 1, 1};
  EXPECT_EQ(Decode(bytes, 2, values.size()), values);
}

TEST(RleHybrid, RunsLongerThanCountAreCutToCount) {
  // Parquet readers stop once they have their values: the padding of the last bit-packed group
  // works that way, and we allow the same of an RLE run and of bytes after the last run.
  EXPECT_EQ(Decode("\x03\xFF", 1, 3), std::vector<uint16_t>(3, 1));
  EXPECT_EQ(Decode("\xD8\x04\x01", 1, 5), std::vector<uint16_t>(5, 1));
  EXPECT_EQ(Decode("\x10\x01garbage", 1, 8), std::vector<uint16_t>(8, 1));
  EXPECT_EQ(Decode("garbage", 1, 0), std::vector<uint16_t>());
  // A run of 2^31-1 values allocates only the 4 asked for.
  std::vector<uint16_t> out;
  DecodeRleHybrid("\xFE\xFF\xFF\xFF\x0F\x01", 1, 4, &out);
  EXPECT_EQ(out, std::vector<uint16_t>(4, 1));
  EXPECT_LT(out.capacity(), 1000u);
}

TEST(RleHybrid, MalformedInputIsAFormatError) {
  EXPECT_NE(DecodeError("", 1, 1).find("end after 0 of 1 values"), std::string::npos);
  EXPECT_NE(DecodeError("\x10\x01", 1, 9).find("end after 8 of 9"), std::string::npos);
  EXPECT_NE(DecodeError("\x05\xFF", 8, 16).find("inside a bit-packed run"), std::string::npos);
  EXPECT_NE(DecodeError("\x03", 3, 8).find("inside a bit-packed run"), std::string::npos);
  EXPECT_NE(DecodeError("\x10", 1, 8).find("inside the value"), std::string::npos);
  EXPECT_NE(DecodeError("\x10\xFF", 9, 8).find("inside the value"), std::string::npos);
  EXPECT_NE(DecodeError("\x80", 1, 8).find("inside a run header"), std::string::npos);
  EXPECT_NE(DecodeError("\x80\x80\x80\x80\x80\x01", 1, 8).find("longer than 5 bytes"),
            std::string::npos);
  EXPECT_NE(DecodeError("\xFE\xFF\xFF\xFF\x1F\x01", 1, 8).find("above 32 bits"), std::string::npos);
  EXPECT_NE(DecodeError("\x10\x05", 2, 8).find("repeat 5, which does not fit in 2 bits"),
            std::string::npos);
  EXPECT_NE(DecodeError(std::string("\x10\x00\x02", 3), 9, 8).find("repeat 512"),
            std::string::npos);
  EXPECT_NE(DecodeError(std::string("\x00\x01", 2), 1, 8).find("RLE run of 0"), std::string::npos);
  EXPECT_NE(DecodeError("\x01\xFF", 1, 8).find("bit-packed run of 0"), std::string::npos);
  EXPECT_NE(DecodeError("\xFF\xFF\xFF\xFF\x0F", 1, 8).find("more than 2^31-1"), std::string::npos);
  EXPECT_NE(DecodeError("\x10\x01", 17, 8).find("bit width 17"), std::string::npos);
  EXPECT_NE(DecodeError("\x10\x01", -1, 8).find("bit width -1"), std::string::npos);
}

}  // namespace
}  // namespace fruits::parquet
