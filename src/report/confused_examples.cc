#include "report/confused_examples.h"

#include <algorithm>
#include <map>
#include <utility>

#include "parquet/reader.h"
#include "pipeline/features_part.h"
#include "pipeline/for_each_part.h"
#include "report/thumbnail.h"

namespace fruits::report {

namespace {

using PairKey = std::pair<std::string, std::string>;  // true label, predicted

// Keeps the most confident examples of one pair; equal probabilities keep the earlier row.
void Keep(std::vector<ConfusedExample>& kept, int capacity, ConfusedExample example) {
  auto at = std::upper_bound(kept.begin(), kept.end(), example.probability,
                             [](double probability, const ConfusedExample& other) {
                               return probability > other.probability;
                             });
  if (at - kept.begin() >= capacity) return;
  kept.insert(at, std::move(example));
  if (static_cast<int>(kept.size()) > capacity) kept.pop_back();
}

void ScanPart(storage::ObjectStore& store, const std::string& part, int per_pair,
              std::map<PairKey, std::vector<ConfusedExample>>& kept) {
  const parquet::ParquetReader reader =
      pipeline::OpenTablePart(store, part, pipeline::PredictionsSchema(),
                              "a predictions part (path, label, predicted, ...)");
  parquet::ColumnData paths, labels, predicted, probabilities;
  for (int group = 0; group < reader.num_row_groups(); ++group) {
    reader.ReadColumn(group, 1, &labels);
    reader.ReadColumn(group, 2, &predicted);
    reader.ReadColumn(group, 3, &probabilities);
    bool paths_read = false;
    for (int64_t row = 0; row < labels.num_rows; ++row) {
      if (labels.strings[row] == predicted.strings[row]) continue;
      auto found = kept.find(PairKey(labels.strings[row], predicted.strings[row]));
      if (found == kept.end()) continue;
      if (!paths_read) {
        reader.ReadColumn(group, 0, &paths);
        paths_read = true;
      }
      Keep(found->second, per_pair, {paths.strings[row], probabilities.floats[row], "", ""});
    }
  }
}

}  // namespace

void FindConfusedExamples(storage::ObjectStore& store, const std::string& folder,
                          const ConfusedExampleOptions& options, std::vector<ConfusedPair>& pairs) {
  std::map<PairKey, std::vector<ConfusedExample>> kept;
  for (const ConfusedPair& pair : pairs) kept[{pair.true_label, pair.predicted}];
  for (const std::string& part : pipeline::PartsIn(store, folder)) {
    ScanPart(store, part, options.per_pair, kept);
  }
  std::vector<std::string> uris;
  for (ConfusedPair& pair : pairs) {
    pair.examples = kept[{pair.true_label, pair.predicted}];
    for (const ConfusedExample& example : pair.examples) uris.push_back(example.path);
  }
  std::vector<Result<std::string>> images = store.ReadMany(uris);
  size_t next = 0;
  for (ConfusedPair& pair : pairs) {
    for (ConfusedExample& example : pair.examples) {
      const Result<std::string>& bytes = images[next++];
      if (!bytes.ok()) {
        example.error = bytes.error();
        continue;
      }
      Result<std::string> thumbnail = ThumbnailDataUrl(bytes.value(), options.thumbnail_side);
      if (thumbnail.ok()) {
        example.thumbnail = std::move(thumbnail).value();
      } else {
        example.error = thumbnail.error();
      }
    }
  }
}

}  // namespace fruits::report
