#include "storage/s3/s3_store.h"

#include <sys/resource.h>

#include "storage/s3/s3_random_access_file.h"
#include "storage/s3/s3_writable_file.h"
#include "storage/s3/s3_xml.h"
#include "util/error.h"

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

// True when a key below `prefix` has a hidden component (".name"), as LocalStore skips them.
bool IsHidden(const std::string& key, size_t prefix_size) {
  for (size_t i = prefix_size; i < key.size(); ++i) {
    if (key[i] == '.' && (i == prefix_size || key[i - 1] == '/')) return true;
  }
  return false;
}

// The prefix of the keys inside a "folder": the key with one trailing '/', or "" for the bucket.
std::string FolderPrefix(const std::string& key) {
  return key.empty() || key.back() == '/' ? key : key + "/";
}

// ListObjectsV2 of the keys starting with `prefix`.
S3Request ListRequest(const std::string& bucket, const std::string& prefix) {
  return {.location = {bucket, ""}, .query = {{"list-type", "2"}, {"prefix", prefix}}};
}

}  // namespace

S3Store::S3Store(S3Options options, AwsEnvironment environment)
    : client_(std::move(options), std::move(environment)) {}

std::vector<ObjectInfo> S3Store::List(const std::string& prefix) {
  S3Location folder = S3Location::Parse(prefix);
  std::string key_prefix = FolderPrefix(folder.key);
  std::vector<ObjectInfo> objects;
  std::string token;
  while (true) {
    S3Request request = ListRequest(folder.bucket, key_prefix);
    if (!token.empty()) request.query.emplace_back("continuation-token", token);
    HttpResponse response = client_.CallExpecting(request, {200}, "list " + prefix);
    Result<ListObjectsPage> page = ParseListObjectsV2(response.body);
    if (!page.ok()) throw Error("cannot list " + prefix + ": " + page.error());
    for (const ListObjectsPage::Object& object : page.value().objects) {
      const std::string& key = object.key;
      if (key.empty() || key.back() == '/' || IsHidden(key, key_prefix.size())) continue;
      objects.push_back({"s3://" + folder.bucket + "/" + key, object.size});
    }
    const std::string& next = page.value().next_continuation_token;
    if (!page.value().is_truncated) break;
    if (next.empty() || next == token) {
      throw Error("cannot list " + prefix + ": the store said the listing goes on but gave no " +
                  "new continuation token");
    }
    token = next;
  }
  return objects;
}

Result<std::string> S3Store::Read(const std::string& uri) {
  S3Location location = S3Location::Parse(uri);
  return Body(location, client_.Call({.location = location}));
}

std::vector<Result<std::string>> S3Store::ReadMany(const std::vector<std::string>& uris) {
  std::vector<S3Request> requests;
  for (const std::string& uri : uris) requests.push_back({.location = S3Location::Parse(uri)});
  std::vector<HttpOutcome> outcomes = client_.CallAll(requests);
  std::vector<Result<std::string>> results;
  for (size_t i = 0; i < uris.size(); ++i) {
    results.push_back(Body(requests[i].location, std::move(outcomes[i])));
  }
  return results;
}

Result<std::string> S3Store::Body(const S3Location& location, HttpOutcome outcome) {
  if (!outcome.ok()) return Result<std::string>::Failure(outcome.error());
  if (outcome.value().status != 200) {
    return Result<std::string>::Failure(client_.Describe(outcome.value(), location));
  }
  return std::move(outcome.value().body);
}

std::unique_ptr<WritableFile> S3Store::NewWritableFile(const std::string& uri) {
  return std::make_unique<S3WritableFile>(client_, S3Location::Parse(uri));
}

std::unique_ptr<RandomAccessFile> S3Store::NewRandomAccessFile(const std::string& uri) {
  return std::make_unique<S3RandomAccessFile>(client_, S3Location::Parse(uri));
}

bool S3Store::Exists(const std::string& uri) {
  S3Location location = S3Location::Parse(uri);
  std::string what = "tell whether " + uri + " exists";
  HttpResponse head =
      client_.CallExpecting({.method = "HEAD", .location = location}, {200, 404}, what);
  if (head.status == 200) return true;
  if (location.key.empty()) return false;  // The bucket itself is missing.
  // Not an object: maybe a folder, i.e. a prefix some key starts with.
  S3Request request = ListRequest(location.bucket, FolderPrefix(location.key));
  request.query.emplace_back("max-keys", "1");
  HttpResponse listing = client_.CallExpecting(request, {200}, what);
  Result<ListObjectsPage> page = ParseListObjectsV2(listing.body);
  if (!page.ok()) throw Error("cannot " + what + ": " + page.error());
  return !page.value().objects.empty();
}

void S3Store::Remove(const std::string& uri) {
  client_.CallExpecting({.method = "DELETE", .location = S3Location::Parse(uri)}, {200, 204, 404},
                        "remove " + uri);
}

void RegisterS3Store(StoreRegistry& registry, S3Options options) {
  ValidateS3Options(options);
  registry.RegisterStore(std::string(kS3Scheme), [options = std::move(options)] {
    RaiseOpenFileLimit();
    return std::make_unique<S3Store>(options, AwsEnvironment::FromProcess());
  });
}

}  // namespace fruits::storage
