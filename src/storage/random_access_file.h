// A file read by ranges, so large files are read a piece at a time, never whole.
//
// ReadAt is const and safe to call from several threads at once. It throws fruits::Error naming the
// file when the range is past the end or the store fails: callers check ranges against size() to
// report format problems in their own words first.
#pragma once

#include <cstdint>
#include <string>

namespace fruits::storage {

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  virtual uint64_t size() const = 0;
  // Replaces *out with bytes [offset, offset + length).
  virtual void ReadAt(uint64_t offset, size_t length, std::string* out) const = 0;
  virtual const std::string& uri() const = 0;

 protected:
  RandomAccessFile() = default;
};

}  // namespace fruits::storage
