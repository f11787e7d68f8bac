#include "util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace fruits {

namespace {

using Clock = std::chrono::steady_clock;

std::string Duration(double seconds) {
  char text[32];
  const long total = static_cast<long>(seconds + 0.5);
  if (total >= 3600) {
    std::snprintf(text, sizeof(text), "%ldh%02ldm", total / 3600, total / 60 % 60);
  } else {
    std::snprintf(text, sizeof(text), "%ldm%02lds", total / 60, total % 60);
  }
  return text;
}

}  // namespace

Progress::Progress(std::string what, int64_t total, bool quiet)
    : what_(std::move(what)),
      total_(total),
      quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(Clock::now()),
      last_print_(start_) {}

void Progress::Update(int64_t done, int64_t failed) {
  if (started_done_ < 0) started_done_ = done;
  done_ = done;
  failed_ = failed;
  const auto now = Clock::now();
  const auto interval = terminal_ ? std::chrono::milliseconds(250) : std::chrono::seconds(5);
  if (now - last_print_ < interval) return;
  last_print_ = now;
  Print(false);
}

void Progress::Finish() {
  if (done_ > 0 || terminal_) Print(true);
}

void Progress::Print(bool final) {
  if (quiet_) return;
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  // The rate counts only this run's work, not what a resumed run found done.
  const double rate =
      seconds > 0 ? static_cast<double>(done_ - std::max<int64_t>(started_done_, 0)) / seconds : 0;
  char line[256];
  int n = std::snprintf(line, sizeof(line), "%s %lld/%lld  %.1f img/s  errors %lld", what_.c_str(),
                        static_cast<long long>(done_), static_cast<long long>(total_), rate,
                        static_cast<long long>(failed_));
  std::string text(line, static_cast<size_t>(std::max(0, n)));
  if (!final && rate > 0 && done_ < total_) {
    text += "  ETA " + Duration(static_cast<double>(total_ - done_) / rate);
  } else if (final) {
    text += "  in " + Duration(seconds);
  }
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s%s", text.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
}

}  // namespace fruits
