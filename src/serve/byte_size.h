// Byte counts as people write them on the command line: "10485760", "10MiB", "512KiB", "2MB".
#pragma once

#include <cstdint>
#include <string_view>

#include "util/result.h"

namespace fruits::serve {

// A whole number with an optional unit: B, KiB, MiB, GiB (powers of 1024), kB, MB, GB (powers
// of 1000); case-insensitive, blanks between number and unit allowed. A failure says what is
// accepted.
Result<uint64_t> ParseByteSize(std::string_view text);

}  // namespace fruits::serve
