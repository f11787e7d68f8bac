// SHA-256 (FIPS 180-4): names a model by its bytes in manifests and output metadata, and tells
// whether a shard's inputs are the ones a previous run saw.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace fruits {

// Incremental: Update() any number of times, then Digest() or HexDigest() once. Not thread-safe.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  // The digest's 32 bytes. REQUIRES: called once, last.
  std::string Digest();
  // The digest as 64 lowercase hex digits. REQUIRES: called once, last (instead of Digest).
  std::string HexDigest();

 private:
  void Compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> block_{};
  size_t block_used_ = 0;
  uint64_t total_bytes_ = 0;
};

inline std::string Sha256Hex(std::string_view data) {
  Sha256 hash;
  hash.Update(data);
  return hash.HexDigest();
}

}  // namespace fruits
