// The list of images a run works on, made once: what to read, its label, in a fixed order.
//
// From a folder (every image below it, recursively, in URI byte order) or from a list file (one
// path per line, in the file's order). Labels come from the parent folder's name, as in
// Fruits-360 (Training/<Label>/<image>.jpg), or are left empty. Files whose extension is not an
// image's are counted and skipped. The catalog is split into shards of a fixed number of images:
// shard i always holds the same images for the same input, which makes shards the unit of
// output and of resume.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace fruits::pipeline {

enum class LabelSource { kParentFolder, kNone };

struct CatalogOptions {
  LabelSource label_from = LabelSource::kParentFolder;
};

struct CatalogEntry {
  std::string uri;
  std::string label;
  uint64_t size = 0;
};

struct Shard {
  int64_t id = 0;
  size_t begin = 0;  // first catalog index
  size_t end = 0;    // one past the last
  size_t size() const { return end - begin; }
};

class Catalog {
 public:
  // Throws fruits::UsageError when the folder does not exist or holds no image.
  static Catalog FromFolder(storage::ObjectStore& store, const std::string& folder,
                            const CatalogOptions& options);
  // Lines are absolute paths, URIs of any scheme (s3://...), both kept as written, or paths
  // relative to the list file's folder; blank lines and lines starting with '#' are skipped. A
  // listed file that is missing becomes a read error later, like any unreadable image.
  static Catalog FromListFile(storage::ObjectStore& store, const std::string& list_file,
                              const CatalogOptions& options);

  const std::vector<CatalogEntry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  // Files left out because their extension is not an image's.
  int64_t skipped() const { return skipped_; }

  // The catalog as bytes, for rank 0 to send to the other processes; Deserialize restores it.
  std::string Serialize() const;
  // Throws fruits::Error when the bytes are not a serialised catalog.
  static Catalog Deserialize(const std::string& bytes);

  // REQUIRES: shard_size > 0.
  std::vector<Shard> Shards(int64_t shard_size) const;
  // SHA-256 over the shard's URIs and labels: a part file written for these inputs says so.
  std::string ShardDigest(const Shard& shard) const;

 private:
  std::vector<CatalogEntry> entries_;
  int64_t skipped_ = 0;
};

// jpg, jpeg, png, webp, bmp, in any case.
bool HasImageExtension(const std::string& uri);

}  // namespace fruits::pipeline
