// A load generator for `fruits serve`, for bench/app_bench.sh: C clients, each on its own
// keep-alive connection, POST the images to /v1/classify one after the other (cycling through
// them) until N requests are answered in all.
//
//   serve_load HOST PORT CONCURRENCY REQUESTS IMAGE...
//
// Prints one JSON object: {"concurrency", "requests", "errors", "seconds", "images_per_second",
// "p50_ms", "p99_ms"} (latency: request sent to answer read, per request).

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: serve_load HOST PORT CONCURRENCY REQUESTS IMAGE...\n");
    return 2;
  }
  const std::string host = argv[1];
  const int port = std::stoi(argv[2]);
  const int concurrency = std::stoi(argv[3]);
  const int requests = std::stoi(argv[4]);
  std::vector<std::string> images;
  for (int i = 5; i < argc; ++i) images.push_back(ReadFile(argv[i]));

  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(concurrency));
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < concurrency; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client(host, port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);  // as browsers and HTTP client libraries do
      client.set_read_timeout(60, 0);
      for (int i; (i = next.fetch_add(1)) < requests;) {
        const std::string& body = images[static_cast<size_t>(i) % images.size()];
        const auto t0 = Clock::now();
        const httplib::Result result = client.Post("/v1/classify", body, "image/jpeg");
        latencies[static_cast<size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!result || result->status != 200) ++errors;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::printf(
      "{\"concurrency\": %d, \"requests\": %d, \"errors\": %d, \"seconds\": %.3f, "
      "\"images_per_second\": %.2f, \"p50_ms\": %.2f, \"p99_ms\": %.2f}\n",
      concurrency, requests, errors.load(), seconds, requests / seconds, Percentile(all, 0.5),
      Percentile(all, 0.99));
  return errors.load() == 0 ? 0 : 1;
}
