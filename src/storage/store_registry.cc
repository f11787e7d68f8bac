#include "storage/store_registry.h"

#include <sys/resource.h>

#include "storage/s3/s3_location.h"
#include "storage/s3/s3_store.h"

namespace fruits::storage {
namespace {

// Each pipeline worker keeps up to S3Options::max_in_flight connections open; on a machine with
// many cores that passes the usual soft limit of 1024 open files, so raise it to the hard limit.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

StoreRegistry::StoreRegistry(S3Options s3_options) : s3_options_(std::move(s3_options)) {}

StoreRegistry::~StoreRegistry() = default;

ObjectStore& StoreRegistry::StoreFor(const std::string& uri) {
  if (!IsS3Uri(uri)) return local_;
  std::call_once(s3_created_, [this] {
    RaiseOpenFileLimit();
    s3_ = std::make_unique<S3Store>(s3_options_, AwsEnvironment::FromProcess());
  });
  return *s3_;
}

std::vector<ObjectInfo> StoreRegistry::List(const std::string& prefix) {
  return StoreFor(prefix).List(prefix);
}

Result<std::string> StoreRegistry::Read(const std::string& uri) { return StoreFor(uri).Read(uri); }

std::vector<Result<std::string>> StoreRegistry::ReadMany(const std::vector<std::string>& uris) {
  bool same_store = true;
  for (const std::string& uri : uris) same_store &= IsS3Uri(uri) == IsS3Uri(uris.front());
  if (uris.empty() || !same_store) return ObjectStore::ReadMany(uris);
  return StoreFor(uris.front()).ReadMany(uris);
}

std::unique_ptr<WritableFile> StoreRegistry::NewWritableFile(const std::string& uri) {
  return StoreFor(uri).NewWritableFile(uri);
}

std::unique_ptr<RandomAccessFile> StoreRegistry::NewRandomAccessFile(const std::string& uri) {
  return StoreFor(uri).NewRandomAccessFile(uri);
}

bool StoreRegistry::Exists(const std::string& uri) { return StoreFor(uri).Exists(uri); }

void StoreRegistry::Remove(const std::string& uri) { StoreFor(uri).Remove(uri); }

bool StoreRegistry::IsRemote(const std::string& uri) const { return IsS3Uri(uri); }

}  // namespace fruits::storage
