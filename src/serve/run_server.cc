#include "serve/run_server.h"

#include <algorithm>
#include <exception>
#include <thread>

#include "serve/batcher.h"
#include "serve/server_metrics.h"
#include "util/error.h"

namespace fruits::serve {

namespace {

std::string Url(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

void RunServer(const app::AppModel& model, const ServeOptions& options, StopSignals& signals,
               std::FILE* out) {
  const int64_t max_batch = model.max_batch();
  const int64_t batch_size =
      options.batch_size > 0 ? options.batch_size : std::min<int64_t>(16, max_batch);
  if (batch_size > max_batch) {
    throw UsageError("--batch-size " + std::to_string(batch_size) +
                     " is more than the model takes at once (" + std::to_string(max_batch) +
                     "): give at most that");
  }
  const int engines = options.engines > 0 ? options.engines : std::max(1, model.concurrent_runs());
  const int64_t queue = options.queue > 0 ? options.queue : 4 * batch_size * engines;

  const app::AppModelInfo& info = model.info();
  const ServedModel served{info, model.preprocessor(), model.backend_name()};
  ServerMetrics metrics;
  Batcher batcher({.image_shape = {info.height, info.width, 3},
                   .batch_size = batch_size,
                   .queue_capacity = queue,
                   .workers = engines,
                   .window = options.window},
                  [&](const model::Tensor& batch) {
                    model::Tensor probabilities = model.Classify(batch);
                    metrics.CountBatch(batch.dim(0));
                    return probabilities;
                  });
  HttpServer server(served, batcher, metrics, options.http);
  const int port = server.Bind(options.host, options.port);

  std::thread stopper([&] {
    signals.Wait();
    server.Stop();
  });
  std::fprintf(out, "listening on %s\n", Url(options.host, port).c_str());
  std::fflush(out);
  std::exception_ptr failure;
  try {
    server.Serve();
  } catch (...) {
    failure = std::current_exception();
  }
  // Serve() returned by itself (a failure): the stopper still waits for a signal.
  signals.Interrupt();
  stopper.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace fruits::serve
