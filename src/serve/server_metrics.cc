#include "serve/server_metrics.h"

#include <fmt/format.h>

#include <utility>

namespace fruits::serve {

namespace {

// Prometheus' float format: shortest round-trip decimal, "+Inf" for the last bucket.
std::string Number(double value) { return fmt::format("{}", value); }

void Header(std::string& out, const std::string& name, const std::string& type,
            const std::string& help) {
  out += "# HELP " + name + " " + help + "\n";
  out += "# TYPE " + name + " " + type + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

std::string Histogram::Exposition(const std::string& name, const std::string& help) const {
  std::string out;
  Header(out, name, "histogram", help);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, Number(bounds_[i]), cumulative);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, count_);
  out += fmt::format("{}_sum {}\n", name, Number(sum_));
  out += fmt::format("{}_count {}\n", name, count_);
  return out;
}

ServerMetrics::ServerMetrics()
    : latency_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
      batch_size_({1, 2, 4, 8, 16, 32, 64, 128}) {}

void ServerMetrics::CountResponse(int status) {
  std::lock_guard lock(mutex_);
  ++responses_[status];
}

void ServerMetrics::ClassifyStarted() {
  std::lock_guard lock(mutex_);
  ++in_flight_;
}

void ServerMetrics::ClassifyFinished(double seconds) {
  std::lock_guard lock(mutex_);
  --in_flight_;
  latency_.Observe(seconds);
}

void ServerMetrics::CountBatch(int64_t images) {
  std::lock_guard lock(mutex_);
  batch_size_.Observe(static_cast<double>(images));
  images_ += static_cast<uint64_t>(images);
}

std::string ServerMetrics::Exposition() const {
  std::lock_guard lock(mutex_);
  std::string out;
  Header(out, "fruits_http_requests_total", "counter", "HTTP requests answered, by status code.");
  for (const auto& [code, count] : responses_) {
    out += fmt::format("fruits_http_requests_total{{code=\"{}\"}} {}\n", code, count);
  }
  out += latency_.Exposition("fruits_classify_request_duration_seconds",
                             "Time to answer POST /v1/classify, in seconds.");
  Header(out, "fruits_classify_requests_in_flight", "gauge",
         "POST /v1/classify requests being handled.");
  out += fmt::format("fruits_classify_requests_in_flight {}\n", in_flight_);
  out += batch_size_.Exposition("fruits_batch_size", "Images per engine run.");
  Header(out, "fruits_images_classified_total", "counter", "Images the engine classified.");
  out += fmt::format("fruits_images_classified_total {}\n", images_);
  return out;
}

}  // namespace fruits::serve
