// S3 (and S3-compatible stores) as an ObjectStore: URIs are s3://bucket/key.
//
// List() pages through ListObjectsV2; a "folder" is a key prefix ending in '/'. Read() is one
// GET; ReadMany() sends a batch's GETs concurrently, which is how images are prefetched while
// earlier batches are inferred. Large objects (Parquet parts) are read by ranges through
// NewRandomAccessFile().
// Writes are single PUTs, or multipart uploads above the threshold (S3WritableFile), with the
// server-side encryption chosen in S3Options; an object appears whole or not at all. Errors that
// end the command throw fruits::Error with the URI, S3's answer and a hint; a missing or
// unreadable object in Read() is a value. Exists() follows ObjectStore's contract: a 404 (and,
// for a "folder", an empty listing) is false; any other answer, or no answer once retries ran
// out, throws. Thread-safe. Files it returns hold its S3Client: they must not outlive it.
#pragma once

#include "storage/object_store.h"
#include "storage/s3/s3_client.h"
#include "storage/store_registry.h"

namespace fruits::storage {

class S3Store : public ObjectStore {
 public:
  S3Store(S3Options options, AwsEnvironment environment);

  std::vector<ObjectInfo> List(const std::string& prefix) override;
  Result<std::string> Read(const std::string& uri) override;
  std::vector<Result<std::string>> ReadMany(const std::vector<std::string>& uris) override;
  std::unique_ptr<WritableFile> NewWritableFile(const std::string& uri) override;
  std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string& uri) override;
  bool Exists(const std::string& uri) override;
  bool IsRemote(const std::string&) const override { return true; }
  void Remove(const std::string& uri) override;

 private:
  // The object in a GET's answer, or why there is none.
  Result<std::string> Body(const S3Location& location, HttpOutcome outcome);

  S3Client client_;
};

// Hands s3:// URIs in `registry` to an S3Store with `options` and the process's AWS environment,
// made on first use (so a run without s3:// paths reads no credentials). Throws UsageError now
// for bad options.
void RegisterS3Store(StoreRegistry& registry, S3Options options);

}  // namespace fruits::storage
