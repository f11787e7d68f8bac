// Running the fruits binary in end-to-end tests, and checking what it printed.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/run_command.h"

namespace fruits::testing {

// `fruits ARGS` (ARGS already quoted for the shell).
inline CommandResult Fruits(const std::string& args) {
  return RunCommand(ShellQuote(FRUITS_BINARY) + " " + args);
}

inline void ExpectContains(const std::string& text, const std::string& expected) {
  EXPECT_NE(text.find(expected), std::string::npos) << "missing '" << expected << "' in\n" << text;
}

inline nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace fruits::testing
