// Small text helpers the parsers of headers, INI files and metadata answers share.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace fruits {

// `text` without leading and trailing whitespace.
inline std::string_view Trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

// `text` with ASCII letters in lower case.
inline std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return lower;
}

}  // namespace fruits
