// `fruits dataset sample`: a deterministic synthetic set laid out like Fruits-360, for tests and
// demos (the fruits are drawn, not photographed).
//
// Each label is one fruit kind with its own shape, colours and texture (round, oval, curved like a
// banana, clustered like grapes; stems, leaves, seeds, streaks), shaded from one light with a
// highlight and a soft shadow on a white background. Pose, size (60-90% of the frame), position,
// light and colour vary per image, so images of a label differ while labels stay apart:
//   ROOT/Training/<Label>/<i>_100.jpg      100x100 JPEG, i = 0 .. per_class - 1
//   ROOT/Test/<Label>/<i>_100.jpg          100x100 JPEG, i = 0 .. test_per_class - 1
//   ROOT/test-multiple-fruits/<kinds>.jpg  640x480 JPEG, 3 to 6 overlapping fruits of the chosen
//                                          labels, named after them ("apple_kiwi_pear.jpg", then
//                                          "apple_kiwi_pear_2.jpg" if it repeats)
// Labels are Fruits-360 folder names, spaces included ("Apple Red 1", "Grape Blue").
//
// The same options give byte-identical files with the same build on the same kind of machine
// (elsewhere libm, OpenCV's SIMD paths and libjpeg may round differently). Each image depends only
// on the seed, its split, label and index, so raising per_class, test_per_class or multi_fruit adds
// files and leaves the others as they were. Files are written one at a time, on the calling thread,
// through the ObjectStore, each published atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace fruits::sample {

struct SampleDatasetOptions {
  int classes = 10;        // labels: the first `classes` of SampleFruitLabels(), 1 to its size
  int per_class = 20;      // Training images per label, 0 to 100,000
  int test_per_class = 5;  // Test images per label, 0 to 100,000
  int multi_fruit = 4;     // images in test-multiple-fruits, 0 to 10,000
  uint64_t seed = 0;
};

struct SampleDatasetSummary {
  std::vector<std::string> labels;
  int64_t images = 0;  // files written
};

// The fruit kinds the generator knows, most distinct first ("Apple Red 1", "Banana", ...).
const std::vector<std::string>& SampleFruitLabels();

// Writes the set under `root` (a folder or prefix the store understands).
// Throws fruits::UsageError for options out of range or an empty root, fruits::Error when the
// store fails (files written before the failure stay).
SampleDatasetSummary WriteSampleDataset(storage::ObjectStore& store, const std::string& root,
                                        const SampleDatasetOptions& options);

}  // namespace fruits::sample
