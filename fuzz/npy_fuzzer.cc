// .npy files from strangers (a PCA model given with --pca-model): DecodeNpy on raw bytes.
//
// A refusal is fruits::Error. An accepted array must be consistent (values = product of the
// shape) and survive EncodeNpy -> DecodeNpy unchanged; anything else is a finding.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pca/npy.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fruits::pca::NpyArray array;
  try {
    array = fruits::pca::DecodeNpy(std::string_view(reinterpret_cast<const char*>(data), size),
                                   "fuzz.npy");
  } catch (const fruits::Error&) {
    return 0;
  }
  uint64_t count = 1;
  for (int64_t dimension : array.shape) {
    if (dimension < 0) __builtin_trap();
    count *= static_cast<uint64_t>(dimension);
  }
  if (count != array.values.size()) __builtin_trap();
  fruits::pca::NpyArray again = fruits::pca::DecodeNpy(fruits::pca::EncodeNpy(array), "again");
  // Bit for bit (NaN payloads included), so not with operator==.
  if (again.shape != array.shape || again.values.size() != array.values.size()) __builtin_trap();
  for (size_t i = 0; i < array.values.size(); ++i) {
    if (std::bit_cast<uint64_t>(again.values[i]) != std::bit_cast<uint64_t>(array.values[i])) {
      __builtin_trap();
    }
  }
  return 0;
}
