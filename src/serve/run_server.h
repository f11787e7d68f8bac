// `fruits serve` as a whole: an app model behind the batcher and the HTTP server, until SIGTERM
// or SIGINT.
//
// Threads: `engines` batcher workers, HttpOptions::threads HTTP threads, one thread waiting for
// the stop signal; all started and joined here. On the signal the server stops accepting, answers
// the requests in flight (their engine runs included) and RunServer() returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "app/app_model.h"
#include "serve/http_server.h"
#include "serve/stop_signals.h"

namespace fruits::serve {

struct ServeOptions {
  // The address to listen on: loopback unless the user opens it wider.
  std::string host = "127.0.0.1";
  // 0: a free port, chosen by the system (the listening line says which).
  int port = 8080;
  // Images per engine run at most; 0: min(16, the model's max_batch()).
  int64_t batch_size = 0;
  // Images waiting for an engine at most (more get 503); 0: 4 x batch_size x engines.
  int64_t queue = 0;
  // Engine workers, each running one batch at a time; 0: the model's concurrent_runs().
  int engines = 0;
  // How long an engine with fewer than batch_size images waits for more.
  std::chrono::microseconds window{2000};
  HttpOptions http;
};

// Serves `model` until `signals` delivers SIGTERM or SIGINT. Once the port is bound (connections
// are accepted from then on) prints "listening on http://HOST:PORT" on `out`, flushed. Throws
// UsageError for options the model cannot take or an address that cannot be bound.
void RunServer(const app::AppModel& model, const ServeOptions& options, StopSignals& signals,
               std::FILE* out);

}  // namespace fruits::serve
