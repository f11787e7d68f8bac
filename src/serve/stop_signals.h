// SIGTERM and SIGINT as a request to shut the server down gracefully, received by one thread.
//
// The constructor installs a handler for both signals that only writes the signal's number into
// a pipe (async-signal-safe), whichever thread the kernel delivers it to: libraries start
// threads of their own (OpenBLAS and oneTBB at load time), so blocking the signals in our threads
// alone would leave the default action, death, to theirs. Wait() reads the pipe. The destructor
// puts the previous handlers back. One instance at a time per process (signal dispositions are
// process-wide); handlers use SA_RESTART, so system calls of other threads are not interrupted.
// Not copyable; Wait() and Interrupt() may be called from different threads.
#pragma once

#include <signal.h>

namespace fruits::serve {

class StopSignals {
 public:
  // Throws fruits::Error when the pipe or the handlers cannot be set up, or another instance
  // exists.
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Blocks until SIGTERM or SIGINT arrives (also one that arrived since construction) or
  // Interrupt() is called; returns the signal's number, or 0 for Interrupt().
  int Wait();
  // Makes a Wait() in progress (or the next one) return 0: the server ended by itself.
  void Interrupt();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  struct sigaction previous_term_ {};
  struct sigaction previous_int_ {};
};

}  // namespace fruits::serve
