// `fruits serve`: an exported app model over HTTP (classify endpoint, web page, metrics) until
// SIGTERM or Ctrl-C.

#include <cstdio>
#include <memory>
#include <string>

#include "app/app_model.h"
#include "cli/commands.h"
#include "cli/s3_flags.h"
#include "model/backend_registry.h"
#include "serve/byte_size.h"
#include "serve/run_server.h"
#include "serve/stop_signals.h"
#include "util/log.h"

namespace fruits::cli {

namespace {

struct ServeFlags {
  std::string model;
  std::string backend = "auto";
  std::string max_body = "10MiB";
  serve::ServeOptions options;
  bool quiet = false;
  storage::S3Options s3;
};

void Serve(ServeFlags& flags) {
  SetLogQuiet(flags.quiet);
  const Result<uint64_t> max_body = serve::ParseByteSize(flags.max_body);
  if (!max_body.ok()) throw UsageError("--max-body: " + max_body.error());
  if (max_body.value() == 0) throw UsageError("--max-body must be at least 1 byte");
  flags.options.http.max_body = max_body.value();
  // From here on a SIGTERM is a request to stop, also while the model loads.
  serve::StopSignals signals;
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.s3);
  app::AppModelOptions model_options;
  model_options.backend = flags.backend;
  model_options.backend_options.concurrent_runs = flags.options.engines;
  const app::AppModel model = app::AppModel::Load(*store, flags.model, model_options);
  LogInfo("serving " + model.info().name + " (" + std::to_string(model.info().labels.size()) +
          " labels) on " + model.backend_name() + ", " + std::to_string(model.concurrent_runs()) +
          " engine(s)");
  serve::RunServer(model, flags.options, signals, stdout);
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  serve::ServeOptions& o = flags->options;
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve an exported app model (fruits export) over HTTP: POST an image to /v1/classify, "
      "a web page on /, /v1/model, /healthz and Prometheus /metrics. Stops on SIGTERM or Ctrl-C "
      "after answering the requests in flight");
  cmd->add_option("--model", flags->model, "The app model (fruit_classifier.onnx)")->required();
  cmd->add_option("--host", o.host, "Address to listen on (0.0.0.0: every interface)")
      ->capture_default_str();
  cmd->add_option("--port", o.port, "Port to listen on (0: a free one, printed at start)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", o.engines,
                  "Engines classifying batches at once (0: one per core, the backend's choice)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--batch-size", o.batch_size,
                  "Images per engine run at most (0: 16, or less if the model takes less)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--queue", o.queue,
                  "Images waiting for an engine at most; more are answered 503 (0: 4 x batch "
                  "size x engines)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-body", flags->max_body,
                  "Largest request body; larger ones are answered 413 (bytes, or with a unit: "
                  "KiB, MiB, kB, MB)")
      ->capture_default_str();
  cmd->add_option("--http-threads", o.http.threads,
                  "Threads reading, decoding and answering requests")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--top", o.http.top, "Labels in an answer unless the request asks (?top=N)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--backend", flags->backend, "Engine running the model's backbone")
      ->capture_default_str()
      ->check(CLI::IsMember(model::BackendNames()));
  cmd->add_flag("-q,--quiet", flags->quiet, "Print nothing but the listening line and errors");
  AddS3Flags(*cmd, flags->s3);
  cmd->callback([flags] { Serve(*flags); });
}

}  // namespace fruits::cli
