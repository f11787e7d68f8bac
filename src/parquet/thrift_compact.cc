#include "parquet/thrift_compact.h"

#include <cstring>

#include "parquet/format_error.h"

namespace fruits::parquet {

namespace {

bool IsKnownType(uint8_t t) { return t <= static_cast<uint8_t>(ThriftType::kStruct); }

// Smallest encoding of each wire type, to reject containers that claim more elements than the
// remaining bytes could hold before anything is allocated.
size_t MinEncodedSize(ThriftType type) {
  switch (type) {
    case ThriftType::kDouble:
      return 8;
    default:
      return 1;
  }
}

}  // namespace

void CompactWriter::WriteVarint(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void CompactWriter::WriteFieldHeader(int16_t id, ThriftType type) {
  int16_t& last = last_field_ids_.back();
  int delta = id - last;
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<uint8_t>(type)));
  } else {
    out_->push_back(static_cast<char>(type));
    WriteVarint(ZigZag(id));
  }
  last = id;
}

void CompactWriter::FieldBool(int16_t id, bool value) {
  WriteFieldHeader(id, value ? ThriftType::kBoolTrue : ThriftType::kBoolFalse);
}

void CompactWriter::FieldI16(int16_t id, int16_t value) {
  WriteFieldHeader(id, ThriftType::kI16);
  WriteVarint(ZigZag(value));
}

void CompactWriter::FieldI32(int16_t id, int32_t value) {
  WriteFieldHeader(id, ThriftType::kI32);
  WriteVarint(ZigZag(value));
}

void CompactWriter::FieldI64(int16_t id, int64_t value) {
  WriteFieldHeader(id, ThriftType::kI64);
  WriteVarint(ZigZag(value));
}

void CompactWriter::FieldBinary(int16_t id, std::string_view value) {
  WriteFieldHeader(id, ThriftType::kBinary);
  ElementBinary(value);
}

void CompactWriter::FieldStructBegin(int16_t id) {
  WriteFieldHeader(id, ThriftType::kStruct);
  last_field_ids_.push_back(0);
}

void CompactWriter::FieldListBegin(int16_t id, ThriftType element_type, int32_t size) {
  WriteFieldHeader(id, ThriftType::kList);
  if (size < 15) {
    out_->push_back(static_cast<char>((size << 4) | static_cast<uint8_t>(element_type)));
  } else {
    out_->push_back(static_cast<char>(0xF0 | static_cast<uint8_t>(element_type)));
    WriteVarint(static_cast<uint32_t>(size));
  }
}

void CompactWriter::ElementBinary(std::string_view value) {
  WriteVarint(value.size());
  out_->append(value);
}

void CompactWriter::ElementStructBegin() { last_field_ids_.push_back(0); }

void CompactWriter::EndStruct() {
  out_->push_back(static_cast<char>(ThriftType::kStop));
  if (last_field_ids_.size() > 1) last_field_ids_.pop_back();
}

uint8_t CompactReader::ReadByte() {
  if (pos_ >= data_.size()) throw FormatError("Thrift metadata ends early");
  return static_cast<uint8_t>(data_[pos_++]);
}

uint64_t CompactReader::ReadVarint() {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t byte = ReadByte();
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return result;
  }
  throw FormatError("Thrift metadata has a varint longer than 10 bytes");
}

void CompactReader::Expect(ThriftType actual, ThriftType expected) {
  bool both_bool = (actual == ThriftType::kBoolTrue || actual == ThriftType::kBoolFalse) &&
                   (expected == ThriftType::kBoolTrue || expected == ThriftType::kBoolFalse);
  if (actual != expected && !both_bool) {
    throw FormatError("Thrift metadata has a field of wire type " +
                      std::to_string(static_cast<int>(actual)) + " where type " +
                      std::to_string(static_cast<int>(expected)) + " belongs");
  }
}

void CompactReader::BeginStruct() {
  if (last_field_ids_.size() >= kMaxDepth) {
    throw FormatError("Thrift metadata nests deeper than " + std::to_string(kMaxDepth));
  }
  last_field_ids_.push_back(0);
}

void CompactReader::EndStruct() { last_field_ids_.pop_back(); }

CompactReader::Field CompactReader::ReadFieldHeader() {
  uint8_t byte = ReadByte();
  uint8_t type = byte & 0x0F;
  if (type == 0) return Field{};
  if (!IsKnownType(type)) {
    throw FormatError("Thrift metadata has an unknown wire type " + std::to_string(type));
  }
  int delta = byte >> 4;
  int64_t id = delta != 0 ? last_field_ids_.back() + delta : ReadZigZag();
  if (id < INT16_MIN || id > INT16_MAX) throw FormatError("Thrift metadata has a bad field id");
  last_field_ids_.back() = static_cast<int16_t>(id);
  return Field{static_cast<int16_t>(id), static_cast<ThriftType>(type)};
}

bool CompactReader::ReadBool(ThriftType type) {
  Expect(type, ThriftType::kBoolTrue);
  return type == ThriftType::kBoolTrue;
}

bool CompactReader::ReadBoolElement() { return ReadByte() == 1; }

int32_t CompactReader::ReadI32(ThriftType type) {
  Expect(type, ThriftType::kI32);
  int64_t v = ReadZigZag();
  if (v < INT32_MIN || v > INT32_MAX) throw FormatError("Thrift metadata has an i32 out of range");
  return static_cast<int32_t>(v);
}

int64_t CompactReader::ReadI64(ThriftType type) {
  Expect(type, ThriftType::kI64);
  return ReadZigZag();
}

std::string CompactReader::ReadBinary(ThriftType type) {
  Expect(type, ThriftType::kBinary);
  uint64_t size = ReadVarint();
  if (size > data_.size() - pos_) throw FormatError("Thrift metadata has a string past its end");
  std::string value(data_.substr(pos_, size));
  pos_ += size;
  return value;
}

CompactReader::ListHeader CompactReader::ReadListHeader(ThriftType type) {
  if (type != ThriftType::kSet) Expect(type, ThriftType::kList);
  uint8_t byte = ReadByte();
  uint8_t element_type = byte & 0x0F;
  if (!IsKnownType(element_type) || element_type == 0) {
    throw FormatError("Thrift metadata has a list of unknown type " + std::to_string(element_type));
  }
  uint64_t size = byte >> 4;
  if (size == 15) size = ReadVarint();
  ListHeader header{static_cast<ThriftType>(element_type), 0};
  if (size > (data_.size() - pos_) / MinEncodedSize(header.element_type)) {
    throw FormatError("Thrift metadata has a list of " + std::to_string(size) +
                      " elements in fewer bytes than that");
  }
  header.size = static_cast<uint32_t>(size);
  return header;
}

void CompactReader::Skip(ThriftType type) {
  switch (type) {
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse:
      return;  // a bool field's value is its type
    case ThriftType::kByte:
      ReadByte();
      return;
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64:
      ReadVarint();
      return;
    case ThriftType::kDouble:
      if (data_.size() - pos_ < 8) throw FormatError("Thrift metadata ends early");
      pos_ += 8;
      return;
    case ThriftType::kBinary:
      ReadBinary(type);
      return;
    case ThriftType::kList:
    case ThriftType::kSet: {
      ListHeader list = ReadListHeader(type);
      BeginStruct();  // counts nesting depth
      for (uint32_t i = 0; i < list.size; ++i) {
        if (list.element_type == ThriftType::kBoolTrue ||
            list.element_type == ThriftType::kBoolFalse) {
          ReadByte();
        } else {
          Skip(list.element_type);
        }
      }
      EndStruct();
      return;
    }
    case ThriftType::kMap: {
      uint64_t size = ReadVarint();
      if (size == 0) return;
      uint8_t types = ReadByte();
      auto key = static_cast<ThriftType>(types >> 4);
      auto value = static_cast<ThriftType>(types & 0x0F);
      if (!IsKnownType(types >> 4) || !IsKnownType(types & 0x0F) || size > data_.size() - pos_) {
        throw FormatError("Thrift metadata has a malformed map");
      }
      BeginStruct();
      for (uint64_t i = 0; i < size; ++i) {
        Skip(key);
        Skip(value);
      }
      EndStruct();
      return;
    }
    case ThriftType::kStruct: {
      BeginStruct();
      for (Field f = ReadFieldHeader(); f.type != ThriftType::kStop; f = ReadFieldHeader()) {
        Skip(f.type);
      }
      EndStruct();
      return;
    }
    case ThriftType::kStop:
      break;
  }
  throw FormatError("Thrift metadata has a value of unknown type");
}

}  // namespace fruits::parquet
