#include "serve/byte_size.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>
#include <utility>

namespace fruits::serve {

Result<uint64_t> ParseByteSize(std::string_view text) {
  const std::string original(text);
  const auto failure = [&] {
    return Result<uint64_t>::Failure("'" + original +
                                     "' is not a byte count: write e.g. 10485760, 10MiB, 512KiB "
                                     "or 2MB (B, KiB, MiB, GiB, kB, MB, GB)");
  };
  uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end == text.data()) return failure();
  std::string unit(end, text.data() + text.size());
  unit.erase(0, unit.find_first_not_of(" \t"));
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  constexpr std::array<std::pair<std::string_view, uint64_t>, 8> kUnits = {{
      {"", 1},
      {"b", 1},
      {"kib", uint64_t{1} << 10},
      {"mib", uint64_t{1} << 20},
      {"gib", uint64_t{1} << 30},
      {"kb", 1000},
      {"mb", 1000'000},
      {"gb", 1000'000'000},
  }};
  for (const auto& [name, scale] : kUnits) {
    if (unit != name) continue;
    if (number > std::numeric_limits<uint64_t>::max() / scale) return failure();
    return number * scale;
  }
  return failure();
}

}  // namespace fruits::serve
