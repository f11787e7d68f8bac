// Assertions on messages: the message of an error, a part that must be there, or must not (a
// secret).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "util/error.h"

namespace fruits::testing {

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" is not in: " << text;
}

inline ::testing::AssertionResult Lacks(const std::string& text, const std::string& part) {
  if (text.find(part) == std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" is in: " << text;
}

// `text` in single quotes, as messages name files and paths (built with append: "'" +
// std::string trips GCC 12's false -Wrestrict).
inline std::string Quoted(const std::string& text) {
  std::string quoted(1, '\'');
  quoted.append(text).push_back('\'');
  return quoted;
}

// The message of the fruits::Error `action` throws; a test failure when it throws none.
inline std::string MessageOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no fruits::Error thrown";
  return "";
}

}  // namespace fruits::testing
