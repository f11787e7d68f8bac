#include "util/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace fruits {

namespace {

std::atomic<bool> quiet{false};
std::mutex print_mutex;

void Print(const char* prefix, const std::string& line) {
  std::lock_guard lock(print_mutex);
  std::fprintf(stderr, "fruits: %s%s\n", prefix, line.c_str());
}

}  // namespace

void SetLogQuiet(bool value) { quiet.store(value); }

void LogInfo(const std::string& line) {
  if (!quiet.load()) Print("", line);
}

void LogWarning(const std::string& line) { Print("warning: ", line); }

}  // namespace fruits
