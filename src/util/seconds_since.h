// Seconds elapsed on the steady clock: how the run figures (stage times, manifest seconds, retry
// budgets) are measured. Thread-safe.
#pragma once

#include <chrono>

namespace fruits {

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace fruits
