// Input lists (--input-list FILE: one image path per line, written by users or by scripts):
// Catalog::FromListFile over a store holding the input as the list, for a local and an S3 list
// location and both label sources, then the catalog's serialisation round trip, shards and
// digests. Also Catalog::Deserialize on the raw bytes.
//
// Refusals are fruits::Error (UsageError: the list names no image); anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/catalog.h"
#include "util/error.h"

namespace {

// A store holding one object: the list.
class OneObjectStore : public fruits::storage::ObjectStore {
 public:
  OneObjectStore(std::string uri, std::string bytes)
      : uri_(std::move(uri)), bytes_(std::move(bytes)) {}
  std::vector<fruits::storage::ObjectInfo> List(const std::string&) override { return {}; }
  fruits::Result<std::string> Read(const std::string& uri) override {
    if (uri != uri_) return fruits::Result<std::string>::Failure("no such object");
    return bytes_;
  }
  std::unique_ptr<fruits::storage::WritableFile> NewWritableFile(const std::string&) override {
    __builtin_trap();
  }
  std::unique_ptr<fruits::storage::RandomAccessFile> NewRandomAccessFile(
      const std::string&) override {
    __builtin_trap();
  }
  bool Exists(const std::string& uri) override { return uri == uri_; }
  void Remove(const std::string&) override { __builtin_trap(); }
  bool IsRemote(const std::string&) const override { return false; }

 private:
  std::string uri_;
  std::string bytes_;
};

void Check(const fruits::pipeline::Catalog& catalog) {
  using fruits::pipeline::Catalog;
  Catalog again = Catalog::Deserialize(catalog.Serialize());
  if (again.size() != catalog.size() || again.skipped() != catalog.skipped()) __builtin_trap();
  for (size_t i = 0; i < catalog.size(); ++i) {
    if (again.entries()[i].uri != catalog.entries()[i].uri ||
        again.entries()[i].label != catalog.entries()[i].label) {
      __builtin_trap();
    }
  }
  size_t covered = 0;
  for (const fruits::pipeline::Shard& shard : catalog.Shards(3)) {
    covered += shard.size();
    catalog.ShardDigest(shard);
  }
  if (covered != catalog.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fruits::pipeline;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (const char* list : {"/data/lists/train.txt", "s3://bucket/lists/train.txt", "list.txt"}) {
    for (LabelSource labels : {LabelSource::kParentFolder, LabelSource::kNone}) {
      OneObjectStore store(list, bytes);
      try {
        Check(Catalog::FromListFile(store, list, {.label_from = labels}));
      } catch (const fruits::Error&) {
      }
    }
  }
  try {
    Check(Catalog::Deserialize(bytes));
  } catch (const fruits::Error&) {
  }
  return 0;
}
