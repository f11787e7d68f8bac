// Thrift's compact protocol, the encoding of Parquet's footer and page headers.
//
// CompactWriter appends fields to a byte string; CompactReader walks a byte range field by field.
// Only what Parquet's metadata uses is here: bool, i16/i32/i64, binary, list and struct (maps and
// sets are skipped when read, never written). Neither class is thread-safe; each is used by one
// thread for one message. CompactReader never reads outside its range and throws FormatError on
// malformed input: truncation, overlong varints, nesting deeper than kMaxDepth, or a container
// whose declared size cannot fit in the bytes that remain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fruits::parquet {

// Wire type codes of the compact protocol.
enum class ThriftType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

class CompactWriter {
 public:
  explicit CompactWriter(std::string* out) : out_(out) {}

  // Fields of the struct being written; ids must increase within a struct.
  void FieldBool(int16_t id, bool value);
  void FieldI16(int16_t id, int16_t value);
  void FieldI32(int16_t id, int32_t value);
  void FieldI64(int16_t id, int64_t value);
  void FieldBinary(int16_t id, std::string_view value);
  // Opens a nested struct field; close it with EndStruct().
  void FieldStructBegin(int16_t id);
  // Opens a list field of `size` elements of `element_type`; write the elements right after.
  void FieldListBegin(int16_t id, ThriftType element_type, int32_t size);

  // List elements.
  void ElementI32(int32_t value) { WriteVarint(ZigZag(value)); }
  void ElementBinary(std::string_view value);
  void ElementStructBegin();

  // Ends the struct opened last (or the top-level message) with a stop byte.
  void EndStruct();

 private:
  static uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ (v >> 63); }
  void WriteVarint(uint64_t v);
  void WriteFieldHeader(int16_t id, ThriftType type);

  std::string* out_;
  std::vector<int16_t> last_field_ids_{0};
};

class CompactReader {
 public:
  static constexpr int kMaxDepth = 32;

  explicit CompactReader(std::string_view data) : data_(data) {}

  // A field header; type == kStop ends the current struct.
  struct Field {
    int16_t id = 0;
    ThriftType type = ThriftType::kStop;
  };
  struct ListHeader {
    ThriftType element_type = ThriftType::kStop;
    uint32_t size = 0;
  };

  // Call before reading the fields of a struct, and EndStruct() after its stop field.
  void BeginStruct();
  void EndStruct();
  Field ReadFieldHeader();

  // Values; each checks that `type` (the field's or list's wire type) is the one expected.
  bool ReadBool(ThriftType type);
  int32_t ReadI32(ThriftType type);
  int64_t ReadI64(ThriftType type);
  std::string ReadBinary(ThriftType type);
  ListHeader ReadListHeader(ThriftType type);
  // Reads a bool stored as a list element (one byte, unlike a bool field).
  bool ReadBoolElement();

  // Skips a value of any type, nested ones included.
  void Skip(ThriftType type);

  // Bytes consumed so far.
  size_t position() const { return pos_; }

 private:
  uint8_t ReadByte();
  uint64_t ReadVarint();
  int64_t ReadZigZag() {
    uint64_t v = ReadVarint();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  void Expect(ThriftType actual, ThriftType expected);

  std::string_view data_;
  size_t pos_ = 0;
  std::vector<int16_t> last_field_ids_;
};

}  // namespace fruits::parquet
