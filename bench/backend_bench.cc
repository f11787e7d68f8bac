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
//
// With --model=FILE (an ONNX classifier of fixed image size) it also registers, for that model,
// BM_Model/<backend>/threads:<t> for XNNPACK and OpenCV with 1 and 2 threads, and
// BM_Model/<backend>/workers:2 (two callers of one thread each at once, as extract runs): one
// Run() of --batch=N images (default 32) per iteration (per worker), after a warm-up Run(), so that
// --benchmark_repetitions=R gives the median of R batches (--benchmark_filter=BM_Model to time
// only those). A backend that cannot load or run the model reports the error ("cannot run:
// ...") instead of a time. bench/families_bench.sh runs it for every torchvision family.
//
//   build/bench/backend_bench --model=resnet50.onnx --benchmark_filter=BM_Model
//                             --benchmark_repetitions=5 --benchmark_format=json

#include <benchmark/benchmark.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string_view>
#include <thread>

#include "model/batch_norm_calibration.h"
#include "model/mobilenet_v2.h"
#include "model/model_loader.h"
#include "storage/local_store.h"

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

// One backend's model for BM_Model, loaded and warmed up by its first repetition and kept for the
// next ones (loading a large model takes longer than running it); or why it cannot run.
struct ModelRun {
  std::string key;  // backend, threads and workers
  std::unique_ptr<LoadedModel> loaded;
  Tensor images;
  std::string error;  // non-empty when the backend cannot load or run the model
};

ModelRun LoadAndWarmUp(const std::string& path, const std::string& backend, int threads,
                       int workers, int64_t batch) {
  ModelRun run;
  try {
    storage::LocalStore store;
    run.loaded = std::make_unique<LoadedModel>(LoadModel(
        OnnxModel::Read(store, path),
        {.backend = backend, .backend_options = {.threads = threads, .concurrent_runs = workers}}));
    const ImageInput& input = run.loaded->backend->input();
    Tensor synthetic = SyntheticImages(1, batch, input.height);
    run.images = Tensor(input.BatchShape(batch));
    std::copy(synthetic.data(), synthetic.data() + std::min(synthetic.size(), run.images.size()),
              run.images.data());
    run.loaded->backend->Run(run.images);  // the first call allocates the engine's buffers
  } catch (const std::exception& e) {
    run.error = e.what();
  }
  return run;
}

// `workers` callers, each running a batch at the same time on one backend (as extract's
// inference workers do), or one caller.
void BM_Model(benchmark::State& state, const std::string& path, const std::string& backend,
              int threads, int workers, int64_t batch) {
  static ModelRun cached;
  const std::string key = backend + "/" + std::to_string(threads) + "/" + std::to_string(workers);
  if (cached.key != key) {
    cached = {};  // frees the previous model first
    cached = LoadAndWarmUp(path, backend, threads, workers, batch);
    cached.key = key;
  }
  if (!cached.error.empty()) {
    state.SkipWithError(("cannot run: " + cached.error).c_str());
    return;
  }
  Backend& engine = *cached.loaded->backend;
  auto run_all = [&] {
    std::vector<std::thread> others;
    for (int w = 1; w < workers; ++w) others.emplace_back([&] { engine.Run(cached.images); });
    benchmark::DoNotOptimize(engine.Run(cached.images));
    for (std::thread& other : others) other.join();
  };
  if (workers > 1) run_all();  // each further worker's first call allocates its own buffers
  for (auto _ : state) run_all();
  state.SetItemsProcessed(state.iterations() * batch * workers);
  // XNNPACK: the share of the time so far spent in our kernels between its subgraphs.
  state.counters["outside_engine"] = cached.loaded->backend->share_outside_engine();
}

void RegisterModelBenchmarks(const std::string& path, int64_t batch) {
  for (const char* backend : kBackends) {
    for (int threads : {1, 2}) {
      const std::string name =
          "BM_Model/" + std::string(backend) + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(name.c_str(), BM_Model, path, std::string(backend), threads, 1,
                                   batch)
          ->Iterations(1)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
    // Two workers of one thread each: what extract runs on two cores.
    const std::string name = "BM_Model/" + std::string(backend) + "/workers:2";
    benchmark::RegisterBenchmark(name.c_str(), BM_Model, path, std::string(backend), 1, 2, batch)
        ->Iterations(1)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace fruits::model

// The benchmark library's flags, then ours: --model=FILE and --batch=N.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string model;
  int64_t batch = 32;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--model=")) {
      model = arg.substr(8);
    } else if (arg.starts_with("--batch=")) {
      batch = std::stoll(std::string(arg.substr(8)));
    } else {
      std::cerr << "unknown flag " << arg << " (flags: --model=FILE --batch=N --benchmark_*)\n";
      return 2;
    }
  }
  if (!model.empty()) fruits::model::RegisterModelBenchmarks(model, batch);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
