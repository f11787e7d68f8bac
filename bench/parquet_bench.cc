// Parquet write and read speed on the table a Fruits-360 run produces: 150,000 rows of
// (path, label, features: list<float>[1280]), for each compression.
//
//   build/bench/parquet_bench [--benchmark_filter=Write]
//
// bytes_per_second counts the float data (150,000 x 1280 x 4 bytes = 768 MB); items_per_second
// counts rows; size_vs_raw is the file size over the raw float bytes. "Encode" writes to a sink
// that only counts bytes (the CPU cost of the writer on one core); "Write" writes a real file,
// fsync included; "Read" decodes the file written by "Write", row group by row group.

#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "parquet/compression.h"
#include "parquet/reader.h"
#include "parquet/writer.h"
#include "storage/local_store.h"

namespace fruits::parquet {
namespace {

constexpr int64_t kRows = 150000;
constexpr int64_t kWidth = 1280;
constexpr int64_t kBatch = 1000;
constexpr double kFloatBytes = double(kRows) * kWidth * sizeof(float);

// Feature-like values: non-negative, correlated through a few latent factors, about a third zeros,
// as after MobileNetV2's ReLU6 and pooling.
struct FeatureBatch {
  std::vector<float> features;
  std::vector<std::string> labels;
  FeatureBatch() {
    std::mt19937 rng(42);
    std::normal_distribution<float> normal;
    constexpr int kFactors = 16;
    std::vector<float> loadings(kFactors * kWidth);
    for (float& w : loadings) w = normal(rng) * 0.4f;
    for (int64_t r = 0; r < kBatch; ++r) {
      float z[kFactors];
      for (float& v : z) v = normal(rng);
      for (int64_t j = 0; j < kWidth; ++j) {
        float x = 0.3f + 0.3f * normal(rng);
        for (int k = 0; k < kFactors; ++k) x += loadings[k * kWidth + j] * z[k];
        features.push_back(std::clamp(x, 0.0f, 6.0f));
      }
      labels.push_back("Label " + std::to_string(r % 131));
    }
  }
};

const FeatureBatch& Batch() {
  static const FeatureBatch batch;
  return batch;
}

// Counts bytes and keeps none: the writer's own cost, without the disk.
class CountingFile : public storage::WritableFile {
 public:
  explicit CountingFile(uint64_t* total) : total_(total) { *total_ = 0; }
  void Append(std::string_view data) override { *total_ += data.size(); }
  void Commit() override {}
  uint64_t size() const override { return *total_; }
  const std::string& uri() const override { return uri_; }

 private:
  uint64_t* total_;
  std::string uri_ = "(counting sink)";
};

std::string BenchPath(CompressionCodec codec) {
  return (std::filesystem::temp_directory_path() /
          ("fruits-bench-" + CodecName(codec) + ".parquet"))
      .string();
}

void WriteTable(std::unique_ptr<storage::WritableFile> file, CompressionCodec codec) {
  WriterOptions options;
  options.compression = codec;
  ParquetWriter writer(std::move(file),
                       Schema({{"path", ColumnType::kString},
                               {"label", ColumnType::kString},
                               {"features", ColumnType::kFloatList}}),
                       options);
  std::vector<std::string> paths(kBatch);
  for (int64_t begin = 0; begin < kRows; begin += kBatch) {
    for (int64_t r = 0; r < kBatch; ++r) {
      paths[r] = "s3://fruits/Training/" + Batch().labels[r] + "/" + std::to_string(begin + r) +
                 "_100.jpg";
    }
    const ColumnValues cols[] = {ColumnValues::Strings(paths),
                                 ColumnValues::Strings(Batch().labels),
                                 ColumnValues::FloatRows(Batch().features, kWidth)};
    writer.Write(cols);
  }
  writer.Close();
}

void Report(benchmark::State& state, double file_bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFloatBytes));
  state.SetItemsProcessed(state.iterations() * kRows);
  state.counters["size_vs_raw"] = file_bytes / kFloatBytes;
}

void BM_Encode(benchmark::State& state) {
  auto codec = static_cast<CompressionCodec>(state.range(0));
  Batch();
  uint64_t size = 0;
  for (auto _ : state) WriteTable(std::make_unique<CountingFile>(&size), codec);
  Report(state, static_cast<double>(size));
}

void BM_Write(benchmark::State& state) {
  auto codec = static_cast<CompressionCodec>(state.range(0));
  Batch();
  storage::LocalStore store;
  for (auto _ : state) WriteTable(store.NewWritableFile(BenchPath(codec)), codec);
  Report(state, static_cast<double>(std::filesystem::file_size(BenchPath(codec))));
}

void BM_Read(benchmark::State& state) {
  auto codec = static_cast<CompressionCodec>(state.range(0));
  storage::LocalStore store;
  if (!store.Exists(BenchPath(codec))) WriteTable(store.NewWritableFile(BenchPath(codec)), codec);
  std::vector<ColumnData> columns;
  for (auto _ : state) {
    ParquetReader reader(store.NewRandomAccessFile(BenchPath(codec)));
    for (int g = 0; g < reader.num_row_groups(); ++g) {
      reader.ReadRowGroup(g, &columns);
      benchmark::DoNotOptimize(columns.data());
    }
  }
  Report(state, static_cast<double>(std::filesystem::file_size(BenchPath(codec))));
}

#define FRUITS_CODECS                                      \
  ->Arg(static_cast<int>(CompressionCodec::kUncompressed)) \
      ->Arg(static_cast<int>(CompressionCodec::kSnappy))   \
      ->Arg(static_cast<int>(CompressionCodec::kZstd))     \
      ->Unit(benchmark::kMillisecond)                      \
      ->UseRealTime()

BENCHMARK(BM_Encode) FRUITS_CODECS;
BENCHMARK(BM_Write) FRUITS_CODECS;
BENCHMARK(BM_Read) FRUITS_CODECS;

}  // namespace
}  // namespace fruits::parquet

BENCHMARK_MAIN();
