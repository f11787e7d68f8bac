#include "serve/stop_signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "util/error.h"

namespace fruits::serve {

namespace {

// The pipe the handler writes to; -1 without a StopSignals. Process-wide because signal
// handlers are.
std::atomic<int> signal_pipe{-1};

void OnStopSignal(int signal_number) {
  const int saved_errno = errno;
  const int fd = signal_pipe.load();
  if (fd >= 0) {
    const char byte = static_cast<char>(signal_number);
    [[maybe_unused]] const ssize_t ignored = ::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

}  // namespace

StopSignals::StopSignals() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error("cannot create the pipe for stop signals");
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  int expected = -1;
  if (!signal_pipe.compare_exchange_strong(expected, write_fd_)) {
    ::close(read_fd_);
    ::close(write_fd_);
    throw InternalError("two StopSignals at once");
  }
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (sigaction(SIGTERM, &action, &previous_term_) != 0 ||
      sigaction(SIGINT, &action, &previous_int_) != 0) {
    throw Error("cannot install the SIGTERM and SIGINT handlers for a graceful shutdown");
  }
}

StopSignals::~StopSignals() {
  sigaction(SIGTERM, &previous_term_, nullptr);
  sigaction(SIGINT, &previous_int_, nullptr);
  signal_pipe = -1;
  ::close(read_fd_);
  ::close(write_fd_);
}

int StopSignals::Wait() {
  char byte = 0;
  for (;;) {
    const ssize_t n = ::read(read_fd_, &byte, 1);
    if (n == 1) return byte;
    if (n < 0 && errno == EINTR) continue;
    return 0;
  }
}

void StopSignals::Interrupt() {
  const char byte = 0;
  [[maybe_unused]] const ssize_t ignored = ::write(write_fd_, &byte, 1);
}

}  // namespace fruits::serve
