// NumPy's .npy format (version 1.0) for float64 arrays: how PCA models are stored so that
// numpy.load() reads them without our code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fruits::pca {

struct NpyArray {
  std::vector<int64_t> shape;  // C order
  std::vector<double> values;
};

// Little-endian '<f8', C order.
std::string EncodeNpy(const NpyArray& array);
// Reads what EncodeNpy writes (and any version 1.0/2.0 '<f8' or '<f4' C-order array); throws
// fruits::Error naming `name` and the problem otherwise.
NpyArray DecodeNpy(std::string_view bytes, const std::string& name);

}  // namespace fruits::pca
