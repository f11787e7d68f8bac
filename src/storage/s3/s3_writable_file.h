// An S3 object being written: one PUT on Commit(), or a multipart upload once it outgrows the
// threshold.
//
// Bytes are buffered up to S3Options::multipart_threshold; past it a multipart upload starts and
// each full buffer is sent as one part, so memory stays at one part whatever the object's size.
// Commit() sends the rest and completes the upload; an uncommitted file (destroyed, or failed)
// aborts its upload so no parts linger. S3 shows an object only once it is complete, which gives
// WritableFile's all-or-nothing publication. Throws fruits::Error naming the object on failure.
#pragma once

#include <string>
#include <vector>

#include "storage/s3/s3_client.h"
#include "storage/writable_file.h"

namespace fruits::storage {

class S3WritableFile : public WritableFile {
 public:
  S3WritableFile(S3Client& client, S3Location location);
  ~S3WritableFile() override;

  void Append(std::string_view data) override;
  void Commit() override;
  uint64_t size() const override { return size_; }
  const std::string& uri() const override { return uri_; }

 private:
  // Server-side encryption headers for the object being created.
  std::vector<std::pair<std::string, std::string>> EncryptionHeaders() const;
  void StartUpload();
  void UploadPart(std::string_view bytes);
  void CompleteUpload();
  // Whether the object is there with all its bytes (a completion whose answer was lost).
  bool IsComplete();
  void AbortUpload();
  // Throws when the file cannot take more bytes: committed, or a part failed (going on would
  // shift the parts that follow).
  void CheckWritable() const;

  S3Client& client_;
  S3Location location_;
  std::string uri_;
  std::string buffer_;
  uint64_t size_ = 0;
  std::string upload_id_;
  std::vector<std::string> part_etags_;
  bool committed_ = false;
  bool failed_ = false;
};

}  // namespace fruits::storage
