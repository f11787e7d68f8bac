// `fruits dataset sample`: a deterministic synthetic set laid out like Fruits-360.
//
// Fruit-like shapes (round, elongated, clustered) with texture, highlights and a stem, on a white
// background, varied in pose, scale and lighting, one colour scheme and shape per label:
//   ROOT/Training/<Label>/<i>_100.jpg      100x100 JPEG, per_class per label
//   ROOT/Test/<Label>/<i>_100.jpg          100x100 JPEG, test_per_class per label
//   ROOT/test-multiple-fruits/<name>.jpg   larger images with several fruits
// The same options give byte-identical files. Files are written through the ObjectStore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace fruits::image {

struct SampleDatasetOptions {
  int classes = 10;        // labels, at most the number of built-in fruit kinds
  int per_class = 20;      // Training images per label
  int test_per_class = 5;  // Test images per label
  int multi_fruit = 4;     // images in test-multiple-fruits
  uint64_t seed = 0;
};

struct SampleDatasetSummary {
  std::vector<std::string> labels;
  int64_t images = 0;  // files written
};

// The fruit kinds the generator knows, in order ("Apple Red", "Banana", ...).
const std::vector<std::string>& SampleFruitLabels();

// Throws fruits::UsageError for options out of range, fruits::Error when the store fails.
SampleDatasetSummary WriteSampleDataset(storage::ObjectStore& store, const std::string& root,
                                        const SampleDatasetOptions& options);

}  // namespace fruits::image
