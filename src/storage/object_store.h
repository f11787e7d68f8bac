// Where bytes live: every path the engine touches goes through an ObjectStore.
//
// Implementations: LocalStore (a local file system) now; S3Store (s3://bucket/key) later. Methods
// are safe to call from several threads; the files they return are not shared between threads.
// Failures that end the command (permission denied, a missing input) throw fruits::Error with the
// path and what to do.
#pragma once

#include <memory>
#include <string>

#include "storage/random_access_file.h"
#include "storage/writable_file.h"

namespace fruits::storage {

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  virtual std::unique_ptr<WritableFile> NewWritableFile(const std::string& uri) = 0;
  virtual std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string& uri) = 0;
  virtual bool Exists(const std::string& uri) = 0;
  // Removes the object; removing one that does not exist is not an error.
  virtual void Remove(const std::string& uri) = 0;
};

}  // namespace fruits::storage
