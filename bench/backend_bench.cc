// Backend::Run speed on MobileNetV2 at 224x224 (the built-in model, seed 0), XNNPACK and OpenCV
// in the same run: images per second for batches of 1, 8, 32 and 64 images with 1 and 2 threads;
// and the two ways two inference workers can share a backend: one engine instance with 2 threads
// taking one call at a time ("Run" with threads 2), or one instance per worker with 1 thread each
// ("TwoWorkers").
//
//   build/bench/backend_bench [--benchmark_filter=Run]
//   bench/backend_vs_torch.sh      (this, then torchvision in the same run, and the ratios)
//
// items_per_second is images per second.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <thread>

#include "model/batch_norm_calibration.h"
#include "model/mobilenet_v2.h"
#include "model/model_loader.h"

namespace fruits::model {
namespace {

constexpr int64_t kSize = 224;

const std::string& ModelBytes() {
  static const std::string bytes = BuildMobileNetV2({.seed = 0, .image_size = kSize});
  return bytes;
}

const char* const kBackends[] = {"xnnpack", "opencv"};

LoadedModel Load(int64_t backend, int threads, int concurrent_runs) {
  return LoadModel(OnnxModel::Parse(ModelBytes(), "mobilenet_v2"),
                   {.backend = kBackends[backend],
                    .backend_options = {.threads = threads, .concurrent_runs = concurrent_runs}});
}

// Synthetic images in the layout the backend takes (only the element count matters for speed).
Tensor Images(const Backend& backend, int64_t batch) {
  Tensor synthetic = SyntheticImages(1, batch, kSize);
  Tensor images(backend.input().BatchShape(batch));
  std::copy(synthetic.data(), synthetic.data() + synthetic.size(), images.data());
  return images;
}

void BM_Run(benchmark::State& state) {
  const int64_t batch = state.range(0);
  LoadedModel loaded = Load(state.range(2), static_cast<int>(state.range(1)), 1);
  Tensor images = Images(*loaded.backend, batch);
  loaded.backend->Run(images);  // first call allocates the engine's buffers
  for (auto _ : state) benchmark::DoNotOptimize(loaded.backend->Run(images));
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_Run)
    ->ArgsProduct({{1, 8, 32, 64}, {1, 2}, {0, 1}})
    ->ArgNames({"batch", "threads", "opencv"})
    ->UseRealTime()
    ->MinTime(3)
    ->Unit(benchmark::kMillisecond);

void BM_TwoWorkers(benchmark::State& state) {
  const int64_t batch = state.range(0);
  LoadedModel loaded = Load(state.range(1), 1, 2);
  Tensor images = Images(*loaded.backend, batch);
  auto both = [&] {
    std::thread other([&] { loaded.backend->Run(images); });
    loaded.backend->Run(images);
    other.join();
  };
  both();
  for (auto _ : state) both();
  state.SetItemsProcessed(state.iterations() * batch * 2);
}
BENCHMARK(BM_TwoWorkers)
    ->ArgsProduct({{1, 8, 32, 64}, {0, 1}})
    ->ArgNames({"batch", "opencv"})
    ->UseRealTime()
    ->MinTime(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fruits::model

BENCHMARK_MAIN();
