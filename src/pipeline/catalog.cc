#include "pipeline/catalog.h"

#include <algorithm>
#include <cctype>
#include <sstream>

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
    std::string uri = line[0] == '/' ? line : Folder(list_file) + line;
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

namespace {

void PutNumber(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
}

void PutText(std::string& out, const std::string& text) {
  PutNumber(out, text.size());
  out += text;
}

// Reads what PutNumber and PutText wrote, refusing to run past the end.
class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  uint64_t Number() {
    Need(8);
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<uint8_t>(bytes_[at_ + i])} << (8 * i);
    at_ += 8;
    return value;
  }
  std::string Text() {
    const uint64_t size = Number();
    Need(size);
    std::string text = bytes_.substr(at_, size);
    at_ += size;
    return text;
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  void Need(uint64_t n) const {
    if (n > bytes_.size() - at_) throw Error("a serialised catalog is truncated");
  }
  const std::string& bytes_;
  size_t at_ = 0;
};

}  // namespace

std::string Catalog::Serialize() const {
  std::string out;
  PutNumber(out, static_cast<uint64_t>(skipped_));
  PutNumber(out, entries_.size());
  for (const CatalogEntry& entry : entries_) {
    PutText(out, entry.uri);
    PutText(out, entry.label);
    PutNumber(out, entry.size);
  }
  return out;
}

Catalog Catalog::Deserialize(const std::string& bytes) {
  Reader reader(bytes);
  Catalog catalog;
  catalog.skipped_ = static_cast<int64_t>(reader.Number());
  const uint64_t count = reader.Number();
  for (uint64_t i = 0; i < count; ++i) {
    CatalogEntry entry;
    entry.uri = reader.Text();
    entry.label = reader.Text();
    entry.size = reader.Number();
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
