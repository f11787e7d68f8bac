// Raw little-endian float32 files: how tests exchange tensors with the Python references.
#pragma once

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fruits::testing {

inline std::vector<float> ReadFloats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> values(bytes.size() / sizeof(float));
  std::copy(bytes.begin(), bytes.begin() + values.size() * sizeof(float),
            reinterpret_cast<char*>(values.data()));
  return values;
}

inline void WriteFloats(const std::string& path, const float* values, size_t count) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values), static_cast<std::streamsize>(count * 4));
}

}  // namespace fruits::testing
