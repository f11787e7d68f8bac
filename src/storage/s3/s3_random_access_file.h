// An S3 object read by ranges (the Parquet reader's footer, then one column chunk at a time).
//
// The size comes from one HEAD when the file is opened; each ReadAt() is one ranged GET, retried
// by S3Client. Throws fruits::Error naming the object when it is missing or a read fails.
#pragma once

#include "storage/random_access_file.h"
#include "storage/s3/s3_client.h"

namespace fruits::storage {

class S3RandomAccessFile : public RandomAccessFile {
 public:
  S3RandomAccessFile(S3Client& client, S3Location location);

  uint64_t size() const override { return size_; }
  void ReadAt(uint64_t offset, size_t length, std::string* out) const override;
  const std::string& uri() const override { return uri_; }

 private:
  S3Client& client_;
  S3Location location_;
  std::string uri_;
  uint64_t size_ = 0;
};

}  // namespace fruits::storage
