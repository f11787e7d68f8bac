#include "storage/s3/s3_random_access_file.h"

#include "util/error.h"

namespace fruits::storage {

S3RandomAccessFile::S3RandomAccessFile(S3Client& client, S3Location location)
    : client_(client), location_(std::move(location)), uri_(location_.Uri()) {
  Result<HttpResponse> head = client_.Call({.method = "HEAD", .location = location_});
  if (!head.ok()) throw Error("cannot open " + uri_ + ": " + head.error());
  if (head.value().status != 200) {
    throw Error("cannot open " + uri_ + ": " + client_.DescribeHead(head.value(), location_));
  }
  try {
    size_ = std::stoull(head.value().Header("content-length"));
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
  Result<HttpResponse> outcome =
      client_.Call({.location = location_, .headers = {{"range", range}}});
  if (!outcome.ok()) throw Error("cannot read " + uri_ + ": " + outcome.error());
  HttpResponse& response = outcome.value();
  // Some S3-compatible servers answer a range starting at 0 with the whole object.
  bool whole = (response.status == 200 || response.status == 206) && offset == 0 &&
               response.body.size() == size_;
  if (!whole && response.status != 206) {
    throw Error("cannot read " + uri_ + ": " + client_.Describe(response, location_));
  }
  if (whole) response.body.resize(length);
  if (response.body.size() != length) {
    throw Error("cannot read " + uri_ + ": asked for " + std::to_string(length) + " bytes, got " +
                std::to_string(response.body.size()) + " (was the object replaced?)");
  }
  *out = std::move(response.body);
}

}  // namespace fruits::storage
