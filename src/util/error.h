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

// A broken contract between our own modules (a caller that did not meet a REQUIRES): a bug in
// fruits, never a consequence of what the user gave. Thrown where an unchecked violation would
// corrupt memory or write wrong output, in every build type (asserts vanish in Release).
class InternalError : public Error {
 public:
  explicit InternalError(const std::string& message)
      : Error("internal error, a bug in fruits (please report it): " + message) {}
};

}  // namespace fruits
