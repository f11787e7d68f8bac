#include "storage/store_registry.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "util/error.h"

namespace fruits::storage {
namespace {

// The "scheme://" `uri` starts with, or "" when it has none. A scheme is a letter followed by
// letters, digits, '+', '-' or '.' (RFC 3986).
std::string SchemeOf(const std::string& uri) {
  size_t end = uri.find("://");
  if (end == std::string::npos || end == 0 || !std::isalpha(static_cast<unsigned char>(uri[0]))) {
    return "";
  }
  for (size_t i = 0; i < end; ++i) {
    unsigned char c = static_cast<unsigned char>(uri[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return "";
  }
  return uri.substr(0, end + 3);
}

}  // namespace

StoreRegistry::StoreRegistry() = default;

StoreRegistry::~StoreRegistry() = default;

void StoreRegistry::RegisterStore(std::string scheme, StoreFactory factory) {
  auto registration = std::make_unique<Registration>();
  registration->scheme = std::move(scheme);
  registration->factory = std::move(factory);
  registrations_.push_back(std::move(registration));
}

StoreRegistry::Registration* StoreRegistry::RegistrationFor(const std::string& uri) const {
  for (const auto& registration : registrations_) {
    if (uri.starts_with(registration->scheme)) return registration.get();
  }
  std::string scheme = SchemeOf(uri);
  if (scheme.empty()) return nullptr;
  std::string known;
  for (const auto& registration : registrations_) known += registration->scheme + ", ";
  throw UsageError(
      "'" + uri + "': this build of fruits has no store for " + scheme +
      " URIs (it reads and writes " + known + "and local paths)" +
      (scheme == "s3://" ? "; S3 needs a build configured with -DFRUITS_WITH_S3=ON" : ""));
}

ObjectStore& StoreRegistry::StoreFor(const std::string& uri) const {
  Registration* registration = RegistrationFor(uri);
  if (registration == nullptr) return local_;
  std::call_once(registration->made,
                 [registration] { registration->store = registration->factory(); });
  return *registration->store;
}

std::vector<ObjectInfo> StoreRegistry::List(const std::string& prefix) {
  return StoreFor(prefix).List(prefix);
}

Result<std::string> StoreRegistry::Read(const std::string& uri) { return StoreFor(uri).Read(uri); }

std::vector<Result<std::string>> StoreRegistry::ReadMany(const std::vector<std::string>& uris) {
  if (uris.empty()) return {};
  Registration* first = RegistrationFor(uris.front());
  bool same_store = std::all_of(uris.begin(), uris.end(), [&](const std::string& uri) {
    return RegistrationFor(uri) == first;
  });
  if (!same_store) return ObjectStore::ReadMany(uris);
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

bool StoreRegistry::IsRemote(const std::string& uri) const { return StoreFor(uri).IsRemote(uri); }

}  // namespace fruits::storage
