// HTTP/1.1 requests over libcurl, with connections kept open between requests.
//
// Thread-safe: each call borrows one of a pool of curl handles (a handle keeps its connections
// alive, so a busy caller reuses them), and SendAll() runs many requests at once on one thread
// with one of a pool of curl multi handles, whose connection caches outlive the call (curl does
// not support sharing one connection cache between threads). A transport failure (refused, reset,
// timed out, stalled) is a value, not an exception: callers decide whether to retry. Nothing here
// logs request headers, so credentials in them never reach a log.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

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
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // The response whatever its status, or why no response came (the transport's reason).
  Result<HttpResponse> Send(const HttpRequest& request);
  // Whether a failure from Send() or SendAll() would only happen again (a malformed URL, a TLS
  // certificate that does not verify), so retrying is pointless.
  static bool IsPermanentFailure(const std::string& reason);
  // The same for each request, at most `max_in_flight` at a time; results in request order.
  std::vector<Result<HttpResponse>> SendAll(const std::vector<HttpRequest>& requests,
                                            int max_in_flight);

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
