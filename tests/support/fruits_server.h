// `fruits serve` as a real process for end-to-end tests: started on a free port (pass
// "--port", "0"), ready once it printed its listening line, stopped with SIGTERM.
//
// The constructor waits (bounded) for "listening on http://HOST:PORT" on the server's stdout and
// fails the test (ADD_FAILURE, port() == 0) when the process ends or stays silent instead; its
// stderr goes to log_path(). The destructor kills a server still running. FRUITS_BINARY names the
// binary, as for the other end-to-end tests.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fruits::testing {

class FruitsServer {
 public:
  // `args` come after `fruits serve`, e.g. {"--model", path, "--port", "0"}.
  explicit FruitsServer(const std::vector<std::string>& args) {
    log_path_ = (std::filesystem::temp_directory_path() /
                 ("fruits-serve-" + std::to_string(::getpid()) + "-" +
                  std::to_string(reinterpret_cast<uintptr_t>(this)) + ".log"))
                    .string();
    int out[2];
    if (::pipe(out) != 0) {
      ADD_FAILURE() << "pipe failed";
      return;
    }
    std::vector<std::string> argv_strings = {FRUITS_BINARY, "serve"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(log, STDERR_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      ::execv(FRUITS_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_ = out[0];
    ReadListeningLine();
  }
  ~FruitsServer() {
    if (pid_ > 0 && !finished_) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
    if (stdout_ >= 0) ::close(stdout_);
    std::error_code ignored;
    std::filesystem::remove(log_path_, ignored);
  }
  FruitsServer(const FruitsServer&) = delete;
  FruitsServer& operator=(const FruitsServer&) = delete;

  // 0 when the server never said it was listening.
  int port() const { return port_; }
  // "http://127.0.0.1:PORT", as the server printed it.
  std::string url() const { return url_; }
  pid_t pid() const { return pid_; }
  // Everything the server wrote on stderr so far.
  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // SIGTERM, then waits for the process: its exit status, or 128 + the signal that ended it.
  int Stop() {
    if (finished_) return status_;
    ::kill(pid_, SIGTERM);
    return Wait();
  }
  // Waits for the process to end by itself (after a signal the test sent).
  int Wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    finished_ = true;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return status_;
  }

 private:
  void ReadListeningLine() {
    const std::string prefix = "listening on ";
    std::string line;
    for (;;) {
      pollfd ready{stdout_, POLLIN, 0};
      if (::poll(&ready, 1, 120'000) <= 0) {
        ADD_FAILURE() << "fruits serve printed no listening line in 120 s; stderr:\n" << log();
        return;
      }
      char c = 0;
      if (::read(stdout_, &c, 1) != 1) {
        ADD_FAILURE() << "fruits serve ended before listening (status " << Wait() << "); stderr:\n"
                      << log();
        return;
      }
      if (c != '\n') {
        line += c;
        continue;
      }
      if (line.rfind(prefix, 0) != 0) {
        ADD_FAILURE() << "unexpected line on stdout: " << line;
        return;
      }
      url_ = line.substr(prefix.size());
      port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
      return;
    }
  }

  pid_t pid_ = -1;
  int stdout_ = -1;
  bool finished_ = false;
  int status_ = 0;
  int port_ = 0;
  std::string url_;
  std::string log_path_;
};

}  // namespace fruits::testing
