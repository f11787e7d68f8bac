#include "pipeline/catalog.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "util/byte_codec.h"
#include "util/error.h"
#include "util/sha256.h"

namespace fruits::pipeline {

namespace {

std::string ParentName(const std::string& uri) {
  size_t slash = uri.rfind('/');
  if (slash == std::string::npos || slash == 0) return "";
  size_t start = uri.rfind('/', slash - 1);
  return uri.substr(start == std::string::npos ? 0 : start + 1,
                    slash - (start == std::string::npos ? 0 : start + 1));
}

std::string Folder(const std::string& uri) {
  size_t slash = uri.rfind('/');
  return slash == std::string::npos ? "" : uri.substr(0, slash + 1);
}

// An absolute local path, or a URI of any scheme ("s3://...", "gs://...": RFC 3986's
// ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") before "://").
bool IsAbsolute(const std::string& path) {
  if (path.starts_with('/')) return true;
  const size_t colon = path.find("://");
  if (colon == std::string::npos || colon == 0 ||
      !std::isalpha(static_cast<unsigned char>(path[0]))) {
    return false;
  }
  return std::all_of(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

std::string Label(const std::string& uri, const CatalogOptions& options) {
  return options.label_from == LabelSource::kParentFolder ? ParentName(uri) : "";
}

}  // namespace

bool HasImageExtension(const std::string& uri) {
  size_t dot = uri.rfind('.');
  if (dot == std::string::npos || uri.find('/', dot) != std::string::npos) return false;
  std::string extension = uri.substr(dot + 1);
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return extension == "jpg" || extension == "jpeg" || extension == "png" || extension == "webp" ||
         extension == "bmp";
}

Catalog Catalog::FromFolder(storage::ObjectStore& store, const std::string& folder,
                            const CatalogOptions& options) {
  std::vector<storage::ObjectInfo> objects;
  try {
    objects = store.List(folder);
  } catch (const Error& e) {
    throw UsageError(std::string(e.what()) + ": --input must be a folder of images");
  }
  Catalog catalog;
  for (auto& object : objects) {
    if (!HasImageExtension(object.uri)) {
      ++catalog.skipped_;
      continue;
    }
    std::string label = Label(object.uri, options);
    catalog.entries_.push_back({std::move(object.uri), std::move(label), object.size});
  }
  if (catalog.entries_.empty()) {
    throw UsageError(
        "no images (.jpg, .jpeg, .png, .webp, .bmp) under '" + folder + "'" +
        (catalog.skipped_ > 0 ? " (" + std::to_string(catalog.skipped_) + " other files)" : ""));
  }
  return catalog;
}

Catalog Catalog::FromListFile(storage::ObjectStore& store, const std::string& list_file,
                              const CatalogOptions& options) {
  auto text = store.Read(list_file);
  if (!text.ok()) {
    throw UsageError("cannot read the input list '" + list_file + "': " + text.error());
  }
  Catalog catalog;
  std::istringstream lines(text.value());
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::string uri = IsAbsolute(line) ? line : Folder(list_file) + line;
    if (!HasImageExtension(uri)) {
      ++catalog.skipped_;
      continue;
    }
    std::string label = Label(uri, options);
    catalog.entries_.push_back({std::move(uri), std::move(label), 0});
  }
  if (catalog.entries_.empty()) {
    throw UsageError("the input list '" + list_file + "' names no image");
  }
  return catalog;
}

std::string Catalog::Serialize() const {
  std::string out;
  AppendU64(out, static_cast<uint64_t>(skipped_));
  AppendU64(out, entries_.size());
  for (const CatalogEntry& entry : entries_) {
    AppendBytes(out, entry.uri);
    AppendBytes(out, entry.label);
    AppendU64(out, entry.size);
  }
  return out;
}

Catalog Catalog::Deserialize(const std::string& bytes) {
  ByteReader reader(bytes, "a serialised catalog");
  Catalog catalog;
  catalog.skipped_ = static_cast<int64_t>(reader.U64());
  const uint64_t count = reader.U64();
  for (uint64_t i = 0; i < count; ++i) {
    CatalogEntry entry;
    entry.uri = reader.Bytes();
    entry.label = reader.Bytes();
    entry.size = reader.U64();
    catalog.entries_.push_back(std::move(entry));
  }
  if (!reader.done()) throw Error("a serialised catalog has trailing bytes");
  return catalog;
}

std::vector<Shard> Catalog::Shards(int64_t shard_size) const {
  std::vector<Shard> shards;
  const size_t step = static_cast<size_t>(shard_size);
  for (size_t begin = 0; begin < entries_.size(); begin += step) {
    shards.push_back(
        {static_cast<int64_t>(shards.size()), begin, std::min(entries_.size(), begin + step)});
  }
  return shards;
}

std::string Catalog::ShardDigest(const Shard& shard) const {
  Sha256 hash;
  for (size_t i = shard.begin; i < shard.end; ++i) {
    // Lengths first, so no two lists of names hash alike by shifting characters.
    hash.Update(std::to_string(entries_[i].uri.size()) + ":" + entries_[i].uri +
                std::to_string(entries_[i].label.size()) + ":" + entries_[i].label);
  }
  return hash.HexDigest();
}

}  // namespace fruits::pipeline
