#include "model/backend_registry.h"

#include <algorithm>

#include "model/opencv/opencv_backend.h"

#ifdef FRUITS_WITH_XNNPACK
#include "model/xnnpack/xnnpack_backend.h"
#endif

namespace fruits::model {

const std::vector<BackendEntry>& RegisteredBackends() {
  static const std::vector<BackendEntry> kEntries = [] {
    // One line per backend: its entry, under its CMake option.
    std::vector<BackendEntry> entries = {
#ifdef FRUITS_WITH_XNNPACK
        XnnpackBackendEntry(),
#endif
        OpenCvBackendEntry(),
    };
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.preference < b.preference; });
    return entries;
  }();
  return kEntries;
}

const BackendEntry* FindBackend(std::string_view name) {
  for (const BackendEntry& entry : RegisteredBackends()) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::vector<std::string> BackendNames() {
  std::vector<std::string> names = {"auto"};
  for (const BackendEntry& entry : RegisteredBackends()) names.emplace_back(entry.name);
  return names;
}

int64_t LargestMaxBatch() {
  int64_t largest = 0;
  for (const BackendEntry& entry : RegisteredBackends()) {
    largest = std::max(largest, entry.max_batch);
  }
  return largest;
}

}  // namespace fruits::model
