// A whole file's bytes, for tests that compare files or feed them to decoders.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace fruits::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace fruits::testing
