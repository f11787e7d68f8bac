// A file being written that becomes visible under its name only when committed.
//
// Readers never see a partial file: data goes to a hidden temporary until Commit() publishes it
// atomically (rename on local disk; a single or multipart upload on object stores). Destroying an
// uncommitted file discards what was written. Not thread-safe: one writer per file. Append and
// Commit throw fruits::Error naming the file when the store fails (disk full, permission denied).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fruits::storage {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  virtual void Append(std::string_view data) = 0;
  // Publishes the file. REQUIRES: not committed yet.
  virtual void Commit() = 0;
  // Bytes appended so far.
  virtual uint64_t size() const = 0;
  // The name the file will have once committed.
  virtual const std::string& uri() const = 0;

 protected:
  WritableFile() = default;
};

}  // namespace fruits::storage
