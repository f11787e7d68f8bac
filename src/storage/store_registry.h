// The ObjectStore the commands use: hands each URI to the store its scheme names.
//
// Stores register under a URI scheme ("s3://") with a factory; the registry makes each store on
// first use, so a run that never touches a scheme never makes its store (a local-only run needs
// no credentials and makes no network call). A URI that starts with no registered scheme is a
// local path (LocalStore), unless it looks like a URI of another scheme ("gs://bucket/x"): that
// is a UsageError naming the schemes this build knows, rather than a local folder named "gs:".
// A listing or a file belongs to one store, picked by its own URI.
// Register every store before the first other call; after that, every method is thread-safe.
// Files and stores the registry hands out must not outlive it (see object_store.h).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/local_store.h"
#include "storage/object_store.h"

namespace fruits::storage {

// Makes a store. Called at most once per registration, by the first call that needs it; it may
// throw fruits::Error (bad options, credentials files that cannot be read), which that call then
// throws.
using StoreFactory = std::function<std::unique_ptr<ObjectStore>()>;

class StoreRegistry : public ObjectStore {
 public:
  StoreRegistry();
  ~StoreRegistry() override;

  // URIs starting with `scheme` (e.g. "s3://", lower case, ending in "://") go to the store
  // `factory` makes. REQUIRES: no other call made yet; `scheme` not registered yet.
  void RegisterStore(std::string scheme, StoreFactory factory);

  std::vector<ObjectInfo> List(const std::string& prefix) override;
  Result<std::string> Read(const std::string& uri) override;
  std::vector<Result<std::string>> ReadMany(const std::vector<std::string>& uris) override;
  std::unique_ptr<WritableFile> NewWritableFile(const std::string& uri) override;
  std::unique_ptr<RandomAccessFile> NewRandomAccessFile(const std::string& uri) override;
  bool Exists(const std::string& uri) override;
  bool IsRemote(const std::string& uri) const override;
  void Remove(const std::string& uri) override;

 private:
  struct Registration {
    std::string scheme;
    StoreFactory factory;
    std::once_flag made;
    std::unique_ptr<ObjectStore> store;
  };

  // The registration whose scheme `uri` starts with; nullptr for a local path. Throws UsageError
  // for a URI of a scheme nobody registered.
  Registration* RegistrationFor(const std::string& uri) const;
  ObjectStore& StoreFor(const std::string& uri) const;

  std::vector<std::unique_ptr<Registration>> registrations_;
  // Handed out by const methods too (IsRemote); LocalStore has no state to protect.
  mutable LocalStore local_;
};

}  // namespace fruits::storage
