// Parquet files from strangers: the footer and page-header Thrift decoders on raw bytes, and
// ParquetReader over the input as a whole file, reading every column of every row group.
//
// Refusals (fruits::Error, parquet::FormatError) are the contract for bad input; anything else
// (another exception, a crash, a sanitizer report, a leak, a timeout, gigabytes allocated) is a
// finding.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "parquet/metadata.h"
#include "parquet/reader.h"
#include "storage/random_access_file.h"
#include "util/error.h"

namespace {

// The input as a file: ReadAt past the end throws, as LocalStore's files do.
class InMemoryFile : public fruits::storage::RandomAccessFile {
 public:
  explicit InMemoryFile(std::string bytes) : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_.size(); }
  void ReadAt(uint64_t offset, size_t length, std::string* out) const override {
    if (offset > bytes_.size() || length > bytes_.size() - offset) {
      throw fruits::Error(uri_ + ": read past the end");
    }
    out->assign(bytes_, offset, length);
  }
  const std::string& uri() const override { return uri_; }

 private:
  std::string bytes_;
  std::string uri_ = "fuzz.parquet";
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    fruits::parquet::ParseFileMetaData(bytes);
  } catch (const fruits::Error&) {
  }
  try {
    size_t header_size = 0;
    fruits::parquet::ParsePageHeader(bytes, &header_size);
    if (header_size > size) __builtin_trap();
  } catch (const fruits::Error&) {
  }
  try {
    fruits::parquet::ParquetReader reader(std::make_unique<InMemoryFile>(std::string(bytes)));
    reader.FindMetadata("fruits");
    std::vector<fruits::parquet::ColumnData> columns;
    for (int group = 0; group < reader.num_row_groups(); ++group) {
      reader.ReadRowGroup(group, &columns);
    }
  } catch (const fruits::Error&) {
  }
  return 0;
}
