#include "serve/stop_signals.h"

#include <cerrno>

#include "util/error.h"

namespace fruits::serve {

StopSignals::StopSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &signals_, nullptr) != 0) {
    throw Error("cannot block SIGTERM and SIGINT for a graceful shutdown");
  }
}

int StopSignals::Wait() {
  waiter_ = pthread_self();
  waiting_ = true;
  // Interrupt() either saw waiting_ and signals this thread, or set interrupted_ before the
  // check below (both atomics are sequentially consistent).
  if (interrupted_) return 0;
  int signal_number = 0;
  while (sigwait(&signals_, &signal_number) != 0) {
  }
  return interrupted_ ? 0 : signal_number;
}

void StopSignals::Interrupt() {
  interrupted_ = true;
  if (waiting_) pthread_kill(waiter_, SIGTERM);
}

}  // namespace fruits::serve
