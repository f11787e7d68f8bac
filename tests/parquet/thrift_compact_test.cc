#include "parquet/thrift_compact.h"

#include <gtest/gtest.h>

#include "parquet/format_error.h"

namespace fruits::parquet {
namespace {

using Type = ThriftType;

TEST(ThriftCompact, FieldsRoundTrip) {
  std::string bytes;
  CompactWriter w(&bytes);
  w.FieldI32(1, -7);
  w.FieldI64(2, INT64_MIN);
  w.FieldBinary(3, std::string("a\0b", 3));
  w.FieldBool(4, true);
  w.FieldBool(5, false);
  w.FieldI16(40, -300);  // a delta over 15 takes the long field header
  w.FieldListBegin(41, Type::kI32, 20);
  for (int i = 0; i < 20; ++i) w.ElementI32(i * 1000);
  w.FieldStructBegin(42);
  w.FieldI64(1, 123456789012345);
  w.EndStruct();
  w.EndStruct();

  CompactReader r(bytes);
  r.BeginStruct();
  auto f = r.ReadFieldHeader();
  EXPECT_EQ(f.id, 1);
  EXPECT_EQ(r.ReadI32(f.type), -7);
  f = r.ReadFieldHeader();
  EXPECT_EQ(r.ReadI64(f.type), INT64_MIN);
  f = r.ReadFieldHeader();
  EXPECT_EQ(r.ReadBinary(f.type), std::string("a\0b", 3));
  f = r.ReadFieldHeader();
  EXPECT_TRUE(r.ReadBool(f.type));
  f = r.ReadFieldHeader();
  EXPECT_FALSE(r.ReadBool(f.type));
  f = r.ReadFieldHeader();
  EXPECT_EQ(f.id, 40);
  EXPECT_EQ(f.type, Type::kI16);
  r.Skip(f.type);
  f = r.ReadFieldHeader();
  EXPECT_EQ(f.id, 41);
  auto list = r.ReadListHeader(f.type);
  ASSERT_EQ(list.size, 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(r.ReadI32(list.element_type), i * 1000);
  f = r.ReadFieldHeader();
  EXPECT_EQ(f.id, 42);
  r.Skip(f.type);
  EXPECT_EQ(r.ReadFieldHeader().type, Type::kStop);
  EXPECT_EQ(r.position(), bytes.size());
}

TEST(ThriftCompact, KnownEncoding) {
  // Field 1 (delta 1) i32 = 1: header 0x15, zigzag(1) = 2.
  // Field 2 (delta 1) binary "hi": header 0x18, length 2.
  std::string bytes;
  CompactWriter w(&bytes);
  w.FieldI32(1, 1);
  w.FieldBinary(2, "hi");
  w.EndStruct();
  EXPECT_EQ(bytes, std::string("\x15\x02\x18\x02hi\x00", 7));
}

TEST(ThriftCompact, TruncationIsAnError) {
  std::string bytes;
  CompactWriter w(&bytes);
  w.FieldBinary(1, "a longer string value");
  w.FieldI64(2, 1LL << 50);
  w.EndStruct();
  for (size_t n = 0; n < bytes.size(); ++n) {
    CompactReader r(std::string_view(bytes).substr(0, n));
    r.BeginStruct();
    EXPECT_THROW(
        {
          for (auto f = r.ReadFieldHeader(); f.type != Type::kStop; f = r.ReadFieldHeader()) {
            r.Skip(f.type);
          }
        },
        FormatError)
        << "prefix of " << n << " bytes";
  }
}

TEST(ThriftCompact, OverlongVarintIsAnError) {
  std::string bytes = "\x16";  // field 1, i64
  bytes += std::string(11, '\xff');
  CompactReader r(bytes);
  r.BeginStruct();
  auto f = r.ReadFieldHeader();
  EXPECT_THROW(r.ReadI64(f.type), FormatError);
}

TEST(ThriftCompact, DeepNestingIsAnError) {
  std::string bytes;
  for (int i = 0; i < 100; ++i) bytes += '\x1c';  // field delta 1, struct: nested forever
  CompactReader r(bytes);
  r.BeginStruct();
  auto f = r.ReadFieldHeader();
  EXPECT_THROW(r.Skip(f.type), FormatError);
}

TEST(ThriftCompact, ListLongerThanItsBytesIsAnError) {
  // Field 1 list of i32, long form, size 1,000,000, followed by nothing.
  std::string bytes = "\x19\xf5\xc0\x84\x3d";
  CompactReader r(bytes);
  r.BeginStruct();
  auto f = r.ReadFieldHeader();
  EXPECT_THROW(r.ReadListHeader(f.type), FormatError);
}

TEST(ThriftCompact, WrongWireTypeIsAnError) {
  std::string bytes;
  CompactWriter w(&bytes);
  w.FieldBinary(1, "x");
  w.EndStruct();
  CompactReader r(bytes);
  r.BeginStruct();
  auto f = r.ReadFieldHeader();
  EXPECT_THROW(r.ReadI32(f.type), FormatError);
}

}  // namespace
}  // namespace fruits::parquet
