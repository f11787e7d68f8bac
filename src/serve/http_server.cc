#include "serve/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <charconv>
#include <exception>
#include <future>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "app/top_labels.h"
#include "image/decode.h"
#include "serve/upload.h"
#include "serve/web_page.h"
#include "util/error.h"

namespace fruits::serve {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::ordered_json;

constexpr const char* kJson = "application/json";

std::string Dump(const ordered_json& value) {
  // Labels come from the model file: bytes that are not UTF-8 must not make dump() throw.
  return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

void SetJson(httplib::Response& res, int status, const ordered_json& body) {
  res.status = status;
  res.set_content(Dump(body), kJson);
}

void SetError(httplib::Response& res, int status, const std::string& message) {
  SetJson(res, status, {{"error", message}});
}

// The message of an error httplib answered by itself, or a handler left without a body.
std::string DefaultMessage(const httplib::Request& req, int status, uint64_t max_body) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "no such path: " + req.path;
    case 413:
      return "the body is larger than the server takes (" + std::to_string(max_body) +
             " bytes, --max-body)";
    case 414:
      return "the request's URI is too long";
    case 500:
      return "internal error";
    default:
      return "HTTP status " + std::to_string(status);
  }
}

// ?top=N, 1 <= N <= labels; `fallback` when absent.
Result<int> TopCount(const httplib::Request& req, int fallback, size_t labels) {
  if (!req.has_param("top")) return std::min(fallback, static_cast<int>(labels));
  const std::string text = req.get_param_value("top");
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 ||
      static_cast<size_t>(value) > labels) {
    return Result<int>::Failure("?top= takes a whole number from 1 to " + std::to_string(labels) +
                                " (the model's labels), not '" + text + "'");
  }
  return value;
}

// The image bytes of a classify request's body, or the status and message to answer with.
struct Upload {
  std::string image;
  int status = 200;
  std::string error;
};

Upload ReadUpload(const httplib::Request& req, const httplib::ContentReader& reader,
                  uint64_t max_body) {
  Upload upload;
  const std::string content_type = req.get_header_value("Content-Type");
  const UploadKind kind = UploadKindOf(content_type);
  uint64_t received = 0;
  bool over = false;
  // Counts what arrives, so bodies without Content-Length (chunked, or until the connection
  // closes) are bounded too: httplib checks only a declared length. Past the limit the rest is
  // read and dropped, so that the client can read the 413 (a server that stops reading makes
  // the client's send fail first), up to twice the limit: a body that never ends is cut off.
  const auto take = [&](const char* data, size_t size, bool keep) {
    received += size;
    over = over || received > max_body;
    if (over) return received <= 2 * max_body;
    if (keep) upload.image.append(data, size);
    return true;
  };
  bool ok = false;
  bool found = false;
  if (kind == UploadKind::kMultipart) {
    bool in_image = false;
    ok = reader(
        [&](const httplib::MultipartFormData& field) {
          in_image = !found && field.name == kImageField;
          found = found || in_image;
          return true;
        },
        [&](const char* data, size_t size) { return take(data, size, in_image); });
  } else {
    // The body is read even when it will be refused, so that the connection stays in step.
    ok = reader([&](const char* data, size_t size) {
      return take(data, size, kind == UploadKind::kImage);
    });
  }
  if (over) {
    upload.status = 413;
    upload.error = DefaultMessage(req, 413, max_body);
  } else if (!ok) {
    upload.status = 400;  // httplib's 413 for a declared length is applied by the caller
    upload.error = kind == UploadKind::kMultipart
                       ? "the multipart form could not be read (malformed, or the body ended "
                         "early)"
                       : "the body ended before its Content-Length";
  } else if (kind == UploadKind::kUnsupported) {
    upload.status = 415;
    upload.error = UnsupportedUploadMessage(content_type);
  } else if (kind == UploadKind::kMultipart && !found) {
    upload.status = 400;
    upload.error = "the multipart form has no field named '" + std::string(kImageField) + "'";
  }
  return upload;
}

// Answers POST /v1/classify.
void Classify(const ServedModel& model, Batcher& batcher, const HttpOptions& options,
              Clock::time_point start, const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader) {
  Upload upload = ReadUpload(req, reader, options.max_body);
  if (upload.status != 200) {
    // httplib sets 413 itself for a declared Content-Length over the limit.
    const int status = res.status == 413 ? 413 : upload.status;
    SetError(res, status,
             status == 413 ? DefaultMessage(req, 413, options.max_body) : upload.error);
    return;
  }
  const Result<int> top = TopCount(req, options.top, model.info.labels.size());
  if (!top.ok()) return SetError(res, 400, top.error());
  std::vector<float> pixels(model.preprocessor.image_floats());
  {
    const Result<image::RgbImage> decoded = image::DecodeImage(upload.image, {});
    if (!decoded.ok()) {
      return SetError(res, 400, "the image could not be decoded: " + decoded.error());
    }
    model.preprocessor.Run(decoded.value(), pixels.data());
  }

  Result<std::future<std::vector<float>>> queued = batcher.Submit(std::move(pixels));
  if (!queued.ok()) {
    res.set_header("Retry-After", "1");
    return SetError(res, 503, queued.error());
  }
  const std::vector<float> probabilities = queued.value().get();
  const std::vector<app::LabelScore> scores =
      app::TopLabels(probabilities.data(), static_cast<int64_t>(probabilities.size()), top.value());
  ordered_json body = {
      {"model", {{"name", model.info.name}, {"sha256", model.info.sha256}}},
      {"top", app::TopLabelsJson(scores, model.info.labels)},
      {"ms", std::chrono::duration<double, std::milli>(Clock::now() - start).count()},
  };
  SetJson(res, 200, body);
}

}  // namespace

HttpServer::HttpServer(const ServedModel& model, Batcher& batcher, ServerMetrics& metrics,
                       const HttpOptions& options)
    : model_(model),
      batcher_(batcher),
      metrics_(metrics),
      options_(options),
      server_(std::make_unique<httplib::Server>()) {
  httplib::Server& server = *server_;
  const int threads = options_.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(options_.max_body);
  server.set_read_timeout(options_.read_timeout);
  server.set_write_timeout(options_.write_timeout);
  server.set_keep_alive_timeout(options_.keep_alive_timeout.count());
  // An answer is written in two sends (headers, body): with Nagle's algorithm the second waits
  // for the client's delayed ACK, 40 ms on Linux, longer than the classification itself.
  server.set_tcp_nodelay(true);
  // SO_REUSEADDR (a restarted server binds at once, past TIME_WAIT) but not httplib's default
  // SO_REUSEPORT, which lets a second server bind the same port and take some of its
  // connections: a port in use is an error the user hears about.
  server.set_socket_options([this](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_socket_ = sock;
  });

  // Every answer of 400 and above passes here before it is written (httplib's own 404 and 413
  // too): give it a JSON body, and count it. Answers below 400 are counted by their handlers,
  // also before they are written, so /metrics never lags behind an answer a client has seen.
  const uint64_t max_body = options_.max_body;
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this, max_body](const httplib::Request& req, httplib::Response& res) {
        if (res.body.empty()) SetError(res, res.status, DefaultMessage(req, res.status, max_body));
        metrics_.CountResponse(res.status);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        SetError(res, 500, "internal error: " + what);
      });

  const auto ok = [this](httplib::Response& res) { metrics_.CountResponse(res.status = 200); };
  server.Get("/", [ok](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(WebPage()), "text/html; charset=utf-8");
    res.set_header("Content-Security-Policy", std::string(kWebPageSecurityPolicy));
    res.set_header("X-Content-Type-Options", "nosniff");
    ok(res);
  });
  server.Get("/healthz", [ok](const httplib::Request&, httplib::Response& res) {
    res.set_content(Dump({{"status", "ok"}}), kJson);
    ok(res);
  });
  server.Get("/v1/model", [this, ok](const httplib::Request&, httplib::Response& res) {
    const app::AppModelInfo& info = model_.info;
    ordered_json body = {
        {"name", info.name},
        {"sha256", info.sha256},
        {"labels", info.labels},
        {"input",
         {{"height", info.height},
          {"width", info.width},
          {"type", info.input_type},
          {"layout", "NHWC"},
          {"resize", image::ToString(info.filter)}}},
        {"accuracy", info.accuracy ? ordered_json(*info.accuracy) : ordered_json(nullptr)},
        {"fruits_version", info.fruits_version},
        {"backend", model_.backend},
    };
    res.set_content(Dump(body), kJson);
    ok(res);
  });
  server.Get("/metrics", [this, ok](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.Exposition(), "text/plain; version=0.0.4; charset=utf-8");
    ok(res);
  });

  server.Post("/v1/classify", [this](const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& reader) {
    const Clock::time_point start = Clock::now();
    metrics_.ClassifyStarted();
    Classify(model_, batcher_, options_, start, req, res, reader);
    metrics_.ClassifyFinished(std::chrono::duration<double>(Clock::now() - start).count());
    if (res.status < 400) metrics_.CountResponse(res.status);
  });

  const auto not_allowed = [](const char* allow) {
    return [allow](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allow);
      SetError(res, 405, req.method + " is not allowed on " + req.path + ": use " + allow);
    };
  };
  server.Get("/v1/classify", not_allowed("POST"));
  for (const char* path : {"/", "/healthz", "/v1/model", "/metrics"}) {
    server.Post(path, not_allowed("GET"));
  }
}

HttpServer::~HttpServer() = default;

int HttpServer::Bind(const std::string& host, int port) {
  const int bound =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    throw UsageError("cannot listen on " + host + ":" + std::to_string(port) +
                     " (address in use, or not an address of this machine): choose another "
                     "--host or --port");
  }
  // httplib listens with a backlog of 5, compiled into its library: connections beyond it were
  // dropped while the accepting thread waited for a core (measured: 16 clients on a loaded
  // machine saw connections closed unanswered). Linux takes a second listen() as a new backlog.
  ::listen(listen_socket_, SOMAXCONN);
  return bound;
}

void HttpServer::Serve() {
  {
    std::lock_guard lock(stop_mutex_);
    if (stop_requested_) return;
    serving_ = true;
  }
  const bool ok = server_->listen_after_bind();
  serving_ = false;
  if (!ok) throw Error("the server stopped accepting connections (accept failed)");
}

void HttpServer::Stop() {
  std::lock_guard lock(stop_mutex_);
  if (stop_requested_) return;
  stop_requested_ = true;
  // httplib's stop() acts only on a server it counts as running, which Serve()'s
  // listen_after_bind() does from its first instruction: wait for that moment.
  while (serving_ && !server_->is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (server_->is_running()) server_->stop();
}

}  // namespace fruits::serve
