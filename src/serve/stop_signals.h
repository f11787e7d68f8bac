// SIGTERM and SIGINT as a request to shut the server down gracefully, received by one thread.
//
// The constructor blocks both signals in the calling thread, and so in every thread it starts
// afterwards (threads inherit the mask): construct it first in the command, before the model's
// engine or the server start threads, or a signal may land in a thread that would die of it.
// Wait() then takes the next one with sigwait(). The signals stay blocked for the rest of the
// process, the destructor included: a second SIGTERM during the shutdown is ignored rather than
// killing the process while it answers the requests in flight (the shutdown is bounded by the
// server's read and write timeouts).
// Not copyable; Wait() and Interrupt() may be called from different threads.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>

namespace fruits::serve {

class StopSignals {
 public:
  StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Blocks until SIGTERM or SIGINT arrives or Interrupt() is called; returns the signal's number,
  // or 0 for Interrupt().
  int Wait();
  // Makes a Wait() in progress (or the next one) return 0: the server ended by itself.
  void Interrupt();

 private:
  sigset_t signals_;
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> waiting_{false};
  pthread_t waiter_{};
};

}  // namespace fruits::serve
