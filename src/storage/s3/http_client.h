// HTTP/1.1 requests over libcurl, with connections kept open between requests.
//
// Thread-safe: each call borrows one of a pool of curl handles (a handle keeps its connections
// alive, so a busy caller reuses them), and SendAll() runs many requests at once on one thread
// with one of a pool of curl multi handles, whose connection caches outlive the call (curl does
// not support sharing one connection cache between threads). A transport failure (refused, reset,
// timed out, stalled) is a value, not an exception, typed as transient or permanent: callers
// decide whether to retry. Nothing here logs request headers, so credentials in them never reach
// a log.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace fruits::storage {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent as the request body (PUT, POST); the caller keeps it alive during the call.
  std::string_view body;
};

struct HttpResponse {
  long status = 0;
  // Header names in lower case.
  std::map<std::string, std::string> headers;
  std::string body;

  // The header's value, or "" when absent. `name` in lower case.
  std::string Header(const std::string& name) const;
};

// Why no answer came, as far as trying again goes.
enum class TransportFailure {
  // Refused, reset, timed out, stalled: may work on another attempt.
  kTransient,
  // Would only happen again (a malformed URL, a TLS certificate that does not verify).
  kPermanent,
};

// The answer to a request whatever its status, or why none came (the transport's reason and its
// kind). The same interface as fruits::Result, plus failure_kind().
class HttpOutcome {
 public:
  HttpOutcome(HttpResponse response)  // NOLINT: implicit, as Result's
      : state_(std::in_place_index<0>, std::move(response)) {}
  static HttpOutcome Failure(std::string reason,
                             TransportFailure kind = TransportFailure::kTransient) {
    return HttpOutcome(Reason{std::move(reason), kind});
  }

  bool ok() const { return state_.index() == 0; }
  // REQUIRES: ok().
  const HttpResponse& value() const& { return std::get<0>(state_); }
  HttpResponse& value() & { return std::get<0>(state_); }
  HttpResponse&& value() && { return std::get<0>(std::move(state_)); }
  // REQUIRES: !ok().
  const std::string& error() const { return std::get<1>(state_).text; }
  TransportFailure failure_kind() const { return std::get<1>(state_).kind; }

 private:
  struct Reason {
    std::string text;
    TransportFailure kind;
  };
  explicit HttpOutcome(Reason reason) : state_(std::in_place_index<1>, std::move(reason)) {}

  std::variant<HttpResponse, Reason> state_;
};

struct HttpOptions {
  // Seconds to open a connection.
  double connect_timeout_seconds = 10;
  // A transfer that moves no byte for this long is abandoned as stalled.
  double stall_timeout_seconds = 30;
  // A whole request may take at most this long (0: no limit; large bodies need time).
  double total_timeout_seconds = 0;
  // Whether http_proxy / https_proxy / no_proxy apply, as curl reads them.
  bool use_environment_proxy = true;
  // Connections SendAll() keeps open per concurrent caller.
  long max_cached_connections = 32;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  virtual ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // The response whatever its status, or why no response came. Virtual so that tests can count
  // or answer the requests a caller sends.
  virtual HttpOutcome Send(const HttpRequest& request);
  // The same for each request, at most `max_in_flight` at a time; results in request order.
  std::vector<HttpOutcome> SendAll(const std::vector<HttpRequest>& requests, int max_in_flight);

 private:
  class Handle;
  std::unique_ptr<Handle> Borrow();
  void Return(std::unique_ptr<Handle> handle);
  void* BorrowMulti();
  void ReturnMulti(void* multi);

  HttpOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;
  // CURLM*, kept opaque so this header does not need curl's.
  std::vector<void*> idle_multis_;
};

}  // namespace fruits::storage
