// Where bytes live: every path the engine touches goes through an ObjectStore.
//
// Implementations: LocalStore (a local file system), S3Store (s3://bucket/key), and StoreRegistry,
// which hands each URI to the one its scheme names. Methods are safe to call from several
// threads; the files they return are not shared between threads.
// Failures that end the command (permission denied on the output, a missing input folder) throw
// fruits::Error with the path and what to do; Read() reports a failure to read one object as a
// value, since one unreadable image must not stop a run.
// Lifetime: the files a store returns (NewWritableFile, NewRandomAccessFile) may use the store
// itself (an S3 file sends its requests through the store's client), so they must be destroyed
// before the store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/random_access_file.h"
#include "storage/writable_file.h"
#include "util/result.h"

namespace fruits::storage {

struct ObjectInfo {
  std::string uri;
  uint64_t size = 0;
};

// `name` under the folder `folder` ("out" + "model.json" -> "out/model.json"; "s3://b/" + "x" ->
// "s3://b/x").
inline std::string JoinUri(const std::string& folder, const std::string& name) {
  return !folder.empty() && folder.back() == '/' ? folder + name : folder + "/" + name;
}

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Every object under `prefix` (a folder, recursively), sorted by URI in byte order. Names that
  // start with '.' (hidden files and folders, our own temporaries) are left out. Throws when the
  // prefix cannot be listed at all.
  virtual std::vector<ObjectInfo> List(const std::string& prefix) = 0;
  // The whole object, or why it cannot be read.
  virtual Result<std::string> Read(const std::string& uri) = 0;
  // Read() of each URI, in order. Stores where a request costs a round trip fetch them
  // concurrently; the default reads one after the other.
  virtual std::vector<Result<std::string>> ReadMany(const std::vector<std::string>& uris) {
    std::vector<Result<std::string>> results;
    results.reserve(uris.size());
    for (const std::string& uri : uris) results.push_back(Read(uri));
    return results;
  }

  virtual std::unique_ptr<WritableFile> NewWritableFile(const std::string& uri) = 0;
  // A whole object at once, published atomically (NewWritableFile, Append, Commit).
  void Write(const std::string& uri, std::string_view bytes) {
    std::unique_ptr<WritableFile> file = NewWritableFile(uri);
    file->Append(bytes);
    file->Commit();
  }
  virtual std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string& uri) = 0;
  // Whether an object or a folder is at `uri`, when the store can tell: true when there is one,
  // false when there is none (missing, or a path through a file). Throws fruits::Error naming
  // the URI and the cause when it cannot tell (permission denied, a symbolic link loop, the
  // network still failing after retries): a caller must not take "cannot tell" for "absent"
  // (and, say, overwrite a run it could not see).
  virtual bool Exists(const std::string& uri) = 0;
  // Removes the object; removing one that does not exist is not an error.
  virtual void Remove(const std::string& uri) = 0;
  // Whether reading `uri` costs a network round trip (the pipeline then keeps one more worker
  // reading while the others compute). Local files: false.
  virtual bool IsRemote(const std::string& uri) const = 0;
};

}  // namespace fruits::storage
