// A bounded, seeded sample of a run's PCA rows for the report's PC1/PC2 scatter.
//
// Each row gets a key, a hash of (seed, path); the sample is the `capacity` rows with the
// smallest keys. So it is the same whatever the order in which parts are read or how many
// processes wrote them, a row's chance of being kept does not depend on its label or position,
// and memory holds `capacity` points however many rows there are. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace fruits::report {

struct ScatterPoint {
  uint64_t key = 0;
  double pc1 = 0;
  double pc2 = 0;
  std::string label;
  std::string path;
};

class ScatterSample {
 public:
  ScatterSample(size_t capacity, uint64_t seed) : capacity_(capacity), seed_(seed) {}

  void Add(double pc1, double pc2, const std::string& label, const std::string& path);
  // Rows offered to Add().
  int64_t rows() const { return rows_; }
  // The kept points, by key.
  std::vector<ScatterPoint> Points() const;

 private:
  size_t capacity_;
  uint64_t seed_;
  int64_t rows_ = 0;
  std::vector<ScatterPoint> heap_;  // a max-heap on key: the front is the first to go
};

// The sample of every PCA part (part-*.parquet: path, label, pca) under `folder`, from each
// row's first two components. Throws Error when a part is not a PCA part or has fewer than two
// components.
ScatterSample SamplePcaParts(storage::ObjectStore& store, const std::string& folder,
                             size_t capacity, uint64_t seed);

}  // namespace fruits::report
