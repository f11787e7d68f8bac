#include "util/stop_signal.h"

#include <atomic>
#include <csignal>

namespace fruits {

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void OnStopSignal(int signal_number) {
  stop_requested.store(true);
  std::signal(signal_number, SIG_DFL);
}

}  // namespace

void StopSignal::Install() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
}

bool StopSignal::Requested() { return stop_requested.load(); }

}  // namespace fruits
