#include "storage/s3/s3_random_access_file.h"

#include "util/error.h"

namespace fruits::storage {

S3RandomAccessFile::S3RandomAccessFile(S3Client& client, S3Location location)
    : client_(client), location_(std::move(location)), uri_(location_.Uri()) {
  HttpResponse head =
      client_.CallExpecting({.method = "HEAD", .location = location_}, {200}, "open " + uri_);
  try {
    size_ = std::stoull(head.Header("content-length"));
  } catch (const std::exception&) {
    throw Error("cannot open " + uri_ + ": S3 gave no Content-Length for it");
  }
}

void S3RandomAccessFile::ReadAt(uint64_t offset, size_t length, std::string* out) const {
  if (offset + length > size_) {
    throw Error("cannot read bytes " + std::to_string(offset) + "+" + std::to_string(length) +
                " of " + uri_ + ": it has " + std::to_string(size_) + " bytes");
  }
  out->clear();
  if (length == 0) return;
  std::string range = "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
  HttpResponse response = client_.CallExpecting(
      {.location = location_, .headers = {{"range", range}}}, {200, 206}, "read " + uri_);
  // Some S3-compatible servers answer a range starting at 0 with the whole object.
  if (offset == 0 && response.body.size() == size_) response.body.resize(length);
  if (response.body.size() != length) {
    throw Error("cannot read " + uri_ + ": asked for " + std::to_string(length) + " bytes, got " +
                std::to_string(response.body.size()) + " (was the object replaced?)");
  }
  *out = std::move(response.body);
}

}  // namespace fruits::storage
