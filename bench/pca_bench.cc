// PCA fit and transform speed at Fruits-360 scale: 150,000 CNN-like feature rows of 1280 floats
// (MobileNetV2's pooled features), reduced to k = 70.
//
//   build/bench/pca_bench [--features_out=/tmp/pca_bench.f32]
//   /usr/bin/python3 bench/sklearn_pca_bench.py /tmp/pca_bench.f32 150000 1280 70
//
// Moments: Add() of every row in batches of 1,000 (as the pipeline feeds it); Fit: covariance,
// eigen-decomposition (dsyevd) and the choice of k; Transform: Apply() of every row;
// NonFiniteCheck: FirstNonFiniteRow() over every row. Each runs once per repetition: they take
// seconds. --features_out writes the rows (raw float32, 768 MB) so that the scikit-learn script
// times its PCA(svd_solver="full") on the same data.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "pca/pca_model.h"

namespace fruits::pca {
namespace {

constexpr int64_t kRows = 150000;
constexpr int64_t kWidth = 1280;
constexpr int64_t kBatch = 1000;
constexpr int64_t kComponents = 70;

// Feature-like values: non-negative, correlated through a few latent factors, about a third zeros,
// as after MobileNetV2's ReLU6 and pooling (as in parquet_bench).
const std::vector<float>& Features() {
  static const std::vector<float> features = [] {
    std::mt19937 rng(42);
    std::normal_distribution<float> normal;
    constexpr int kFactors = 16;
    std::vector<float> loadings(kFactors * kWidth);
    for (float& w : loadings) w = normal(rng) * 0.4f;
    std::vector<float> rows(kRows * kWidth);
    for (int64_t r = 0; r < kRows; ++r) {
      float z[kFactors];
      for (float& v : z) v = normal(rng);
      for (int64_t j = 0; j < kWidth; ++j) {
        float x = 0.3f + 0.3f * normal(rng);
        for (int k = 0; k < kFactors; ++k) x += loadings[k * kWidth + j] * z[k];
        rows[r * kWidth + j] = std::clamp(x, 0.0f, 6.0f);
      }
    }
    return rows;
  }();
  return features;
}

Moments AddAll() {
  Moments moments(kWidth);
  for (int64_t start = 0; start < kRows; start += kBatch) {
    moments.Add(Features().data() + start * kWidth, kBatch);
  }
  return moments;
}

const Moments& AllMoments() {
  static const Moments moments = AddAll();
  return moments;
}

const PcaModel& Model() {
  static const PcaModel model = PcaModel::Fit(AllMoments(), {.k = kComponents});
  return model;
}

void BM_Moments(benchmark::State& state) {
  Features();
  for (auto _ : state) benchmark::DoNotOptimize(AddAll().count());
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_Fit(benchmark::State& state) {
  AllMoments();
  double variance_kept = 0;
  for (auto _ : state)
    variance_kept = PcaModel::Fit(AllMoments(), {.k = kComponents}).VarianceKept();
  state.counters["variance_kept"] = variance_kept;
}

void BM_Transform(benchmark::State& state) {
  Model();
  std::vector<float> projected(kRows * kComponents);
  for (auto _ : state) {
    Model().Apply(Features().data(), kRows, projected.data());
    benchmark::DoNotOptimize(projected.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_NonFiniteCheck(benchmark::State& state) {
  Features();
  for (auto _ : state) {
    benchmark::DoNotOptimize(FirstNonFiniteRow(Features().data(), kRows, kWidth));
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

BENCHMARK(BM_Moments)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1)->Repetitions(3);
BENCHMARK(BM_Fit)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1)->Repetitions(3);
BENCHMARK(BM_Transform)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1)->Repetitions(3);
BENCHMARK(BM_NonFiniteCheck)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(3);

}  // namespace
}  // namespace fruits::pca

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  constexpr char kFlag[] = "--features_out=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], kFlag, sizeof(kFlag) - 1) != 0) {
      std::fprintf(stderr, "unknown argument '%s'\n", argv[i]);
      return 2;
    }
    const auto& rows = fruits::pca::Features();
    std::ofstream(argv[i] + sizeof(kFlag) - 1, std::ios::binary)
        .write(reinterpret_cast<const char*>(rows.data()),
               static_cast<std::streamsize>(rows.size() * sizeof(float)));
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
