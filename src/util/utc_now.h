// The current time as the ISO 8601 UTC timestamp the outputs record ("2026-11-30T16:28:32Z"):
// a manifest's finished_at, a report's generated_at.
#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace fruits {

inline std::string UtcNow() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc;
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace fruits
