// Our engine on an exported app model, for bench/app_vs_onnxruntime.sh: images already resized
// (raw 8-bit RGB, as an app hands them to the file), classified in batches.
//
//   app_engine_bench MODEL.onnx PIXELS N [--batch B] [--repeat R]
//
// Throughput: the N images in batches of B, as many batches at once as the backend runs
// (AppModel::concurrent_runs(), one per core), R times; latency: each image alone, one at a
// time. Prints one JSON object: {"backend", "images", "batch", "images_per_second",
// "single_image_ms_median"}.

#include <tbb/parallel_for.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "app/app_model.h"
#include "storage/local_store.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path, pixels_path;
  int64_t n = 0, batch = 32;
  int repeat = 3;
  CLI::App cli("app model throughput and latency on our engine");
  cli.add_option("model", model_path)->required();
  cli.add_option("pixels", pixels_path)->required();
  cli.add_option("n", n)->required();
  cli.add_option("--batch", batch);
  cli.add_option("--repeat", repeat);
  CLI11_PARSE(cli, argc, argv);

  fruits::storage::LocalStore store;
  const fruits::app::AppModel model = fruits::app::AppModel::Load(store, model_path, {});
  const int64_t h = model.info().height, w = model.info().width, floats = h * w * 3;
  std::ifstream in(pixels_path, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  if (static_cast<int64_t>(bytes.size()) != n * floats) {
    std::fprintf(stderr, "%s holds %zu bytes, not %ld images of %ldx%ld\n", pixels_path.c_str(),
                 bytes.size(), n, h, w);
    return 1;
  }
  const int64_t batches = (n + batch - 1) / batch;
  std::vector<fruits::model::Tensor> inputs;
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t count = std::min(batch, n - b * batch);
    fruits::model::Tensor t({count, h, w, 3});
    std::copy_n(bytes.begin() + b * batch * floats, count * floats, t.data());
    inputs.push_back(std::move(t));
  }
  model.Classify(inputs.front());  // warm-up: the backend builds its runtime per batch size
  const auto start = Clock::now();
  for (int r = 0; r < repeat; ++r) {
    tbb::parallel_for(size_t{0}, inputs.size(), [&](size_t b) { model.Classify(inputs[b]); });
  }
  const double throughput = static_cast<double>(n * repeat) / Seconds(start);

  std::vector<double> latencies;
  fruits::model::Tensor one({1, h, w, 3});
  for (int64_t i = 0; i < std::min<int64_t>(n, 64); ++i) {
    std::copy_n(bytes.begin() + i * floats, floats, one.data());
    const auto t0 = Clock::now();
    model.Classify(one);
    latencies.push_back(Seconds(t0) * 1e3);
  }
  std::nth_element(latencies.begin(), latencies.begin() + latencies.size() / 2, latencies.end());
  std::printf(
      "{\"backend\": \"%s\", \"images\": %ld, \"batch\": %ld, \"images_per_second\": %.2f, "
      "\"single_image_ms_median\": %.3f}\n",
      model.backend_name().c_str(), n, batch, throughput, latencies[latencies.size() / 2]);
  return 0;
}
