// The HTTP face of `fruits serve` (cpp-httplib underneath): routes, the JSON answers and errors,
// body limits and content types. The engine sits behind a Batcher, so tests can build the server
// in-process with a fake engine.
//
// Routes:
//   GET  /             the web page (web_page.h), with a strict Content-Security-Policy
//   GET  /healthz      {"status": "ok"}
//   GET  /v1/model     what the model is: name, sha256, labels, input, accuracy, backend
//   GET  /metrics      Prometheus text (server_metrics.h)
//   POST /v1/classify  an image (upload.h) -> {"model": {...}, "top": [...], "ms": ...};
//                      ?top=N (1 to the label count, default HttpOptions::top)
// Every error is JSON {"error": "..."} with its status: 400 a body that does not decode (or ends
// early, or a bad ?top), 404 an unknown path, 405 a known path with the wrong method, 413 a body
// over max_body, 415 a Content-Type not accepted, 503 the batcher's queue full, 500 the engine
// failed. A request never ends the server. Decoding and preprocessing run on the HTTP threads;
// only the engine run is batched.
//
// Thread safety: Stop() may be called from any thread at any time; the rest from one thread.
// The model, batcher and metrics must outlive the server.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "app/app_model.h"
#include "image/preprocessor.h"
#include "serve/batcher.h"
#include "serve/server_metrics.h"

namespace httplib {
class Server;
}

namespace fruits::serve {

struct HttpOptions {
  // Request bodies above this many bytes get 413.
  uint64_t max_body = uint64_t{10} << 20;
  // Threads reading, decoding and answering requests. A keep-alive connection holds its thread
  // between requests, so connections beyond this wait for one: measured, 32 clients on 16
  // threads gave a p99 of 2.2 s against 0.25 s at p50 (bench/app_bench.sh).
  int threads = 64;
  // Labels in a classify answer unless ?top= says otherwise.
  int top = 5;
  // A client that sends nothing for this long is dropped: a body that stops half way does not
  // hold a thread for ever.
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds write_timeout{10};
  // How long an idle keep-alive connection is kept open; shutting down waits for it too.
  std::chrono::seconds keep_alive_timeout{2};
};

// The model the server answers for: what /v1/model reports and how images are prepared for it.
struct ServedModel {
  app::AppModelInfo info;
  image::Preprocessor preprocessor;
  // The engine running it, as /v1/model reports it ("xnnpack", ...).
  std::string backend;
};

class HttpServer {
 public:
  HttpServer(const ServedModel& model, Batcher& batcher, ServerMetrics& metrics,
             const HttpOptions& options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens on host:port (port 0: a free one, chosen by the system); from here on,
  // connections are accepted (and wait until Serve() answers them). Returns the port. Throws
  // UsageError when the address cannot be bound.
  int Bind(const std::string& host, int port);
  // Answers requests until Stop(); returns once the requests in flight are answered. Throws
  // fruits::Error when accepting connections fails. REQUIRES: Bind() succeeded.
  void Serve();
  // Makes Serve() stop accepting connections, finish the requests in flight and return; when
  // called before Serve(), Serve() returns at once.
  void Stop();

 private:
  const ServedModel& model_;
  Batcher& batcher_;
  ServerMetrics& metrics_;
  const HttpOptions options_;
  std::unique_ptr<httplib::Server> server_;
  int listen_socket_ = -1;  // set by the socket options when Bind() makes it
  std::mutex stop_mutex_;
  bool stop_requested_ = false;  // guarded by stop_mutex_
  std::atomic<bool> serving_{false};
};

}  // namespace fruits::serve
