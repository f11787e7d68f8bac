// A value, or the reason there is none: how expected per-item failures travel.
//
// A bad image, a missing object or a retryable answer is not an exception (see error.h): the
// function returns Result<T>, and the caller turns a failure into an error record and goes on.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace fruits {

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  static Result Failure(std::string reason) {
    return Result(std::in_place_index<1>, Reason{std::move(reason)});
  }

  bool ok() const { return state_.index() == 0; }
  // REQUIRES: ok().
  const T& value() const& { return std::get<0>(state_); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  // REQUIRES: !ok().
  const std::string& error() const { return std::get<1>(state_).text; }

 private:
  struct Reason {
    std::string text;
  };

  template <size_t I, typename V>
  Result(std::in_place_index_t<I> index, V&& v) : state_(index, std::forward<V>(v)) {}

  std::variant<T, Reason> state_;
};

}  // namespace fruits
