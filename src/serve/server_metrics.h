// What `fruits serve` has done, for monitoring: counters, gauges and histograms, written in the
// Prometheus text exposition format (version 0.0.4) by GET /metrics.
//
// The series (all names prefixed fruits_):
//   http_requests_total{code}              counter, every answered request by status code
//   classify_request_duration_seconds      histogram, POST /v1/classify from its first byte read
//                                          to its answer
//   classify_requests_in_flight            gauge, classify requests being handled
//   batch_size                             histogram, images per engine run
//   images_classified_total                counter, images the engine classified
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace fruits::serve {

// Counts of observations at or below each upper bound, as Prometheus histograms keep them.
class Histogram {
 public:
  // REQUIRES: bounds ascending.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // The `# HELP` and `# TYPE` lines and the _bucket, _sum and _count samples of `name`.
  std::string Exposition(const std::string& name, const std::string& help) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bound, not cumulative; the last one is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class ServerMetrics {
 public:
  ServerMetrics();

  void CountResponse(int status);
  void ClassifyStarted();
  void ClassifyFinished(double seconds);
  void CountBatch(int64_t images);

  // The whole exposition, one sample per line, ending with a newline.
  std::string Exposition() const;

 private:
  mutable std::mutex mutex_;
  std::map<int, uint64_t> responses_;
  int64_t in_flight_ = 0;
  uint64_t images_ = 0;
  Histogram latency_;
  Histogram batch_size_;
};

}  // namespace fruits::serve
