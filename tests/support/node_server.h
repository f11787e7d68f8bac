// A server from tests/references/ run under Node in the background: started, waited for until it
// prints "listening <port>", and stopped (SIGTERM, then SIGKILL) when the test is done. The common
// part of S3TestServer and FaultProxy.
#pragma once

#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/background_process.h"
#include "support/read_file.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fruits::testing {

class NodeServer {
 public:
  static constexpr std::chrono::milliseconds kPollInterval{50};
  static constexpr int kStartPolls = 300;  // 15 s
  static constexpr std::chrono::seconds kStopTimeout{5};

  // Runs `node NODE_FLAGS tests/references/SCRIPT ARGUMENTS` (ARGUMENTS already quoted for the
  // shell). Throws std::runtime_error, with the script's output, if it does not print
  // "listening <port>" in time.
  NodeServer(const std::string& script, const std::string& arguments,
             const std::string& node_flags = "")
      : log_path_(log_dir_.File("node.log")),
        process_("node " + node_flags + " " +
                     ShellQuote(std::string(FRUITS_SOURCE_DIR) + "/tests/references/" + script) +
                     " " + arguments,
                 log_path_) {
    for (int poll = 0; poll < kStartPolls && port_ == 0; ++poll) {
      std::this_thread::sleep_for(kPollInterval);
      port_ = ListeningPort(Log());
    }
    if (port_ == 0) {
      throw std::runtime_error(script + " printed no \"listening <port>\" line within 15 s:\n" +
                               Log());
    }
  }
  // SIGTERM, and SIGKILL if it has not exited after kStopTimeout.
  ~NodeServer() {
    process_.Signal(SIGTERM);
    std::mutex mutex;
    std::condition_variable exited;
    bool done = false;
    std::thread watchdog([&] {
      std::unique_lock<std::mutex> lock(mutex);
      if (!exited.wait_for(lock, kStopTimeout, [&] { return done; })) process_.Signal(SIGKILL);
    });
    process_.Wait();
    {
      std::lock_guard<std::mutex> lock(mutex);
      done = true;
    }
    exited.notify_one();
    watchdog.join();
  }
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // What the script has printed so far (stdout and stderr).
  std::string Log() const { return ReadFile(log_path_); }

 private:
  // The port of the first complete "listening <port>" line, or 0.
  static int ListeningPort(const std::string& log) {
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line) && !lines.eof()) {  // eof: a line still being written
      if (line.rfind("listening ", 0) == 0) {
        try {
          return std::stoi(line.substr(10));
        } catch (const std::exception&) {
          return 0;
        }
      }
    }
    return 0;
  }

  TempDir log_dir_;
  std::string log_path_;
  BackgroundProcess process_;
  int port_ = 0;
};

}  // namespace fruits::testing
