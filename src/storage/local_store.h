// The local file system as an ObjectStore: URIs are plain paths.
//
// Writable files go to a hidden temporary beside the target (".NAME.tmp-PID-N", skipped by
// listings), are flushed to disk and renamed over the target on Commit(), so a crash leaves either
// the old file or the complete new one. Parent folders are created as needed. List() follows
// symbolic links to folders and visits each folder once, so link loops end.
#pragma once

#include <string>

#include "storage/object_store.h"

namespace fruits::storage {

// The whole local file at `path`, or why it cannot be read (strerror's text). Thread-safe.
Result<std::string> ReadLocalFile(const std::string& path);

class LocalStore : public ObjectStore {
 public:
  std::vector<ObjectInfo> List(const std::string& folder) override;
  Result<std::string> Read(const std::string& path) override;
  std::unique_ptr<WritableFile> NewWritableFile(const std::string& path) override;
  std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string& path) override;
  bool Exists(const std::string& path) override;
  bool IsRemote(const std::string&) const override { return false; }
  void Remove(const std::string& path) override;
};

}  // namespace fruits::storage
