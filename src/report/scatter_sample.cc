#include "report/scatter_sample.h"

#include <algorithm>

#include "parquet/reader.h"
#include "pipeline/features_part.h"
#include "pipeline/for_each_part.h"
#include "util/error.h"

namespace fruits::report {

namespace {

// FNV-1a over the seed's bytes and then the path's, finished with a 64-bit mixer so that paths
// differing in their last character still spread over the whole range.
uint64_t RowKey(uint64_t seed, const std::string& path) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto mix_byte = [&hash](unsigned char byte) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  };
  for (int shift = 0; shift < 64; shift += 8) mix_byte(static_cast<unsigned char>(seed >> shift));
  for (unsigned char byte : path) mix_byte(byte);
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  return hash;
}

bool KeyLess(const ScatterPoint& a, const ScatterPoint& b) { return a.key < b.key; }

}  // namespace

void ScatterSample::Add(double pc1, double pc2, const std::string& label, const std::string& path) {
  ++rows_;
  if (capacity_ == 0) return;
  const uint64_t key = RowKey(seed_, path);
  if (heap_.size() == capacity_) {
    if (key >= heap_.front().key) return;
    std::pop_heap(heap_.begin(), heap_.end(), KeyLess);
    heap_.pop_back();
  }
  heap_.push_back({key, pc1, pc2, label, path});
  std::push_heap(heap_.begin(), heap_.end(), KeyLess);
}

std::vector<ScatterPoint> ScatterSample::Points() const {
  std::vector<ScatterPoint> points = heap_;
  std::sort(points.begin(), points.end(), KeyLess);
  return points;
}

ScatterSample SamplePcaParts(storage::ObjectStore& store, const std::string& folder,
                             size_t capacity, uint64_t seed) {
  ScatterSample sample(capacity, seed);
  std::vector<parquet::ColumnData> columns;
  for (const std::string& part : pipeline::PartsIn(store, folder)) {
    const parquet::ParquetReader reader = pipeline::OpenTablePart(
        store, part, pipeline::PcaSchema(), "a PCA part (path, label, pca)");
    for (int group = 0; group < reader.num_row_groups(); ++group) {
      reader.ReadRowGroup(group, &columns);
      const parquet::ColumnData& pca = columns[2];
      for (int64_t row = 0; row < pca.num_rows; ++row) {
        const int64_t begin = pca.list_offsets[row];
        if (pca.list_offsets[row + 1] - begin < 2) {
          throw Error("'" + part + "': the PCA row of '" + columns[0].strings[row] +
                      "' has fewer than two components");
        }
        sample.Add(pca.floats[begin], pca.floats[begin + 1], columns[1].strings[row],
                   columns[0].strings[row]);
      }
    }
  }
  return sample;
}

}  // namespace fruits::report
