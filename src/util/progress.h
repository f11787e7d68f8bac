// How far a long run is, for the person waiting: images done, rate, time left, errors.
//
// On a terminal (stderr is a TTY) one line is redrawn at most four times a second; otherwise
// (a log file, CI) a line is written every few seconds. Quiet prints nothing. Update() is called
// by the thread that records results; it does no work of its own between calls (no thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace fruits {

class Progress {
 public:
  Progress(std::string what, int64_t total, bool quiet);
  // `done` counts every input handled, `failed` those among them that failed.
  void Update(int64_t done, int64_t failed);
  // Ends the redrawn line with the final figures.
  void Finish();

 private:
  void Print(bool final);

  std::string what_;
  int64_t total_;
  bool quiet_;
  bool terminal_;
  int64_t done_ = 0;
  int64_t failed_ = 0;
  int64_t started_done_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

}  // namespace fruits
