// Runs a shell command for an end-to-end test and captures what it printed and its exit code.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace fruits::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Quotes one argument for /bin/sh.
inline std::string ShellQuote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

inline CommandResult RunCommand(const std::string& command) {
  TempDir scratch;
  std::string err_path = scratch.File("stderr");
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>" + ShellQuote(err_path)).c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 65536> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.out.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  result.err.assign(std::istreambuf_iterator<char>(err), {});
  return result;
}

}  // namespace fruits::testing
