// Errors that end a command.
//
// fruits::Error is the one exception type that crosses module boundaries. Its message says what
// failed and, where the user can act, what to do about it; the CLI prints it and exits non-zero.
// Expected per-item failures (a bad image, a missing object) are values, never exceptions.
#pragma once

#include <stdexcept>
#include <string>

namespace fruits {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// The user asked for something that cannot work (a bad flag value, a missing file).
class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace fruits
