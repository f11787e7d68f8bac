// A command started in the background, to signal or kill while it runs (Ctrl-C, kill -9 tests).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace fruits::testing {

class BackgroundProcess {
 public:
  // Runs `command` with /bin/sh; its output goes to `log_path`. "exec" keeps one process, so
  // signals reach the command itself.
  BackgroundProcess(const std::string& command, const std::string& log_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string line = "exec " + command + " >" + log_path + " 2>&1";
      ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~BackgroundProcess() {
    if (pid_ > 0 && !finished_) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
  }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  void Signal(int signal_number) { ::kill(pid_, signal_number); }
  // The exit status, or 128 + the signal that ended it (as shells report).
  int Wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    finished_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  bool finished_ = false;
};

}  // namespace fruits::testing
