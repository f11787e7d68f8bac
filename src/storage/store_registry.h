// The ObjectStore the commands use: hands each URI to the store its scheme names.
//
// s3://... goes to an S3Store, created on first use (so a local-only run needs no credentials
// and makes no network call); anything else is a local path. A listing or a file belongs to one
// store, picked by its own URI. Thread-safe.
#pragma once

#include <memory>
#include <mutex>

#include "storage/local_store.h"
#include "storage/object_store.h"
#include "storage/s3/s3_options.h"

namespace fruits::storage {

class StoreRegistry : public ObjectStore {
 public:
  explicit StoreRegistry(S3Options s3_options = {});
  ~StoreRegistry() override;

  std::vector<ObjectInfo> List(const std::string& prefix) override;
  Result<std::string> Read(const std::string& uri) override;
  std::vector<Result<std::string>> ReadMany(const std::vector<std::string>& uris) override;
  std::unique_ptr<WritableFile> NewWritableFile(const std::string& uri) override;
  std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string& uri) override;
  bool Exists(const std::string& uri) override;
  bool IsRemote(const std::string& uri) const override;
  void Remove(const std::string& uri) override;

 private:
  ObjectStore& StoreFor(const std::string& uri);

  S3Options s3_options_;
  LocalStore local_;
  std::once_flag s3_created_;
  std::unique_ptr<ObjectStore> s3_;
};

}  // namespace fruits::storage
