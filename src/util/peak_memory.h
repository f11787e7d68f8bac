// The process's peak resident memory, for run manifests and memory benchmarks.
#pragma once

#include <cstdint>

namespace fruits {

// Bytes (VmHWM from /proc/self/status); 0 where the system does not say.
int64_t PeakResidentBytes();

}  // namespace fruits
