// The report's pictures of the classifier's mistakes: for each of the most confused label pairs,
// the test images it got most confidently wrong, with thumbnails.
//
// Reads an evaluation's predictions parts (path, label, predicted, probability, ...) keeping, per
// pair, the `per_pair` rows with the highest probability of the wrong label (ties: catalog
// order), so memory holds pairs x per_pair rows however many predictions there are. Then reads
// those images (in one ReadMany) and makes their thumbnails; an image that cannot be read or
// decoded (moved, deleted, a run made on another machine) keeps its row with the reason instead
// of a thumbnail.
#pragma once

#include <string>
#include <vector>

#include "storage/object_store.h"

namespace fruits::report {

struct ConfusedExample {
  std::string path;
  double probability = 0;  // of the wrong prediction
  std::string thumbnail;   // a data: URL, empty when `error` says why not
  std::string error;
};

struct ConfusedPair {
  std::string true_label;
  std::string predicted;
  std::vector<ConfusedExample> examples;  // most confident first
};

struct ConfusedExampleOptions {
  int per_pair = 4;
  int thumbnail_side = 72;  // pixels
};

// Fills the examples of each pair of `pairs` (true_label, predicted set; examples empty) from
// the predictions parts under `folder`. Throws Error when a part is not a predictions part.
void FindConfusedExamples(storage::ObjectStore& store, const std::string& folder,
                          const ConfusedExampleOptions& options, std::vector<ConfusedPair>& pairs);

}  // namespace fruits::report
