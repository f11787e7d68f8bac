#include "pca/npy.h"

#include <bit>
#include <cctype>
#include <cstring>
#include <limits>
#include <utility>

#include "util/error.h"

namespace fruits::pca {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
// NumPy aligns the data so that it can be memory-mapped with any dtype.
constexpr size_t kAlignment = 64;

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  // A one-element Python tuple needs its trailing comma.
  return text + (shape.size() == 1 ? ",)" : ")");
}

// The header is a Python dict literal; this reads the subset NumPy writes: string keys, string,
// boolean and tuple-of-integer values.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string name) : text_(text), name_(std::move(name)) {}

  struct Fields {
    std::string descr;
    bool fortran_order = false;
    bool has_descr = false, has_order = false, has_shape = false;
    std::vector<int64_t> shape;
  };

  Fields Parse() {
    Fields fields;
    Expect('{');
    while (!Accept('}')) {
      const std::string key = String();
      Expect(':');
      if (key == "descr") {
        fields.descr = String();
        fields.has_descr = true;
      } else if (key == "fortran_order") {
        fields.fortran_order = Bool();
        fields.has_order = true;
      } else if (key == "shape") {
        fields.shape = Tuple();
        fields.has_shape = true;
      } else {
        Fail("unexpected key '" + key + "'");
      }
      if (!Accept(',')) {
        Expect('}');
        break;
      }
    }
    if (!fields.has_descr || !fields.has_order || !fields.has_shape) {
      Fail("'descr', 'fortran_order' or 'shape' missing");
    }
    return fields;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw Error("'" + name_ + "' is not a readable .npy file: header " + what);
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Accept(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void Expect(char c) {
    if (!Accept(c)) Fail(std::string("expected '") + c + "' at offset " + std::to_string(pos_));
  }
  std::string String() {
    SkipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      Fail("expected a string at offset " + std::to_string(pos_));
    }
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) Fail("has an unterminated string");
    std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }
  bool Bool() {
    SkipSpace();
    for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const size_t length = std::strlen(word);
      if (text_.substr(pos_, length) == word) {
        pos_ += length;
        return value;
      }
    }
    Fail("expected True or False at offset " + std::to_string(pos_));
  }
  std::vector<int64_t> Tuple() {
    std::vector<int64_t> values;
    Expect('(');
    while (!Accept(')')) {
      SkipSpace();
      int64_t value = 0;
      size_t digits = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        if (value > (std::numeric_limits<int64_t>::max() - 9) / 10) Fail("has a huge dimension");
        value = value * 10 + (text_[pos_++] - '0');
        ++digits;
      }
      if (digits == 0) Fail("expected a dimension at offset " + std::to_string(pos_));
      Accept('L');  // Python 2 long literals
      values.push_back(value);
      if (!Accept(',')) {
        Expect(')');
        break;
      }
    }
    return values;
  }

  std::string_view text_;
  std::string name_;
  size_t pos_ = 0;
};

}  // namespace

std::string EncodeNpy(const NpyArray& array) {
  std::string header =
      "{'descr': '<f8', 'fortran_order': False, 'shape': " + ShapeText(array.shape) + ", }";
  // Magic, version and the uint16 length take 10 bytes; spaces pad and '\n' ends the header.
  const size_t unpadded = kMagicBytes + 4 + header.size() + 1;
  header.append((kAlignment - unpadded % kAlignment) % kAlignment, ' ');
  header += '\n';

  std::string out(kMagic, kMagicBytes);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.reserve(out.size() + array.values.size() * 8);
  for (double value : array.values) {
    const uint64_t bits = std::bit_cast<uint64_t>(value);
    for (int i = 0; i < 8; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
  }
  return out;
}

NpyArray DecodeNpy(std::string_view bytes, const std::string& name) {
  auto fail = [&name](const std::string& what) -> Error {
    return Error("'" + name + "' is not a readable .npy file: " + what);
  };
  auto byte = [&bytes](size_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])); };
  if (bytes.size() < kMagicBytes + 4 || bytes.substr(0, kMagicBytes) != kMagic) {
    throw fail("no \\x93NUMPY magic");
  }
  const int major = static_cast<int>(byte(6));
  size_t header_length;
  size_t header_start;
  if (major == 1) {
    header_length = byte(8) | byte(9) << 8;
    header_start = 10;
  } else if (major == 2) {
    if (bytes.size() < 12) throw fail("truncated header");
    header_length = byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
    header_start = 12;
  } else {
    throw fail("format version " + std::to_string(major) + "." + std::to_string(byte(7)) +
               " (this reader knows 1.0 and 2.0)");
  }
  if (bytes.size() - header_start < header_length) throw fail("truncated header");
  const HeaderParser::Fields fields =
      HeaderParser(bytes.substr(header_start, header_length), name).Parse();

  size_t item_bytes;
  if (fields.descr == "<f8") {
    item_bytes = 8;
  } else if (fields.descr == "<f4") {
    item_bytes = 4;
  } else {
    throw fail("dtype '" + fields.descr +
               "' (only little-endian float64 '<f8' and float32 '<f4' are read)");
  }
  if (fields.fortran_order) {
    throw fail("Fortran order (save a C-order array: numpy.ascontiguousarray)");
  }
  uint64_t count = 1;
  for (int64_t dimension : fields.shape) {
    if (dimension != 0 &&
        count > (std::numeric_limits<uint64_t>::max() / 16) / static_cast<uint64_t>(dimension)) {
      throw fail("shape " + ShapeText(fields.shape) + " is too large");
    }
    count *= static_cast<uint64_t>(dimension);
  }
  const size_t data_start = header_start + header_length;
  if (bytes.size() - data_start != count * item_bytes) {
    throw fail("shape " + ShapeText(fields.shape) + " of '" + fields.descr + "' needs " +
               std::to_string(count * item_bytes) + " data bytes, the file has " +
               std::to_string(bytes.size() - data_start));
  }

  NpyArray array;
  array.shape = fields.shape;
  array.values.resize(count);
  const char* data = bytes.data() + data_start;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t bits = 0;
    for (size_t b = 0; b < item_bytes; ++b) {
      bits |= uint64_t{static_cast<uint8_t>(data[i * item_bytes + b])} << (8 * b);
    }
    array.values[i] = item_bytes == 8 ? std::bit_cast<double>(bits)
                                      : std::bit_cast<float>(static_cast<uint32_t>(bits));
  }
  return array;
}

}  // namespace fruits::pca
