// Everything the report page shows, gathered from a run's outputs into one JSON object (the
// "report data", docs/outputs.md): the manifest, model.json and metrics.json verbatim (the page
// formats their numbers, it never recomputes them), plus what only exists spread over Parquet
// parts, summarised with bounded memory: the failures grouped by reason, a seeded sample of PCA
// rows for the scatter, and thumbnails of the most confused test images. Also the cost and the
// heatmap's label order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "report/confused_examples.h"
#include "report/run_cost.h"
#include "storage/object_store.h"

namespace fruits::report {

struct ReportOptions {
  std::string run;         // the output folder of `fruits run` or `fruits extract` (OUT)
  std::string evaluation;  // EVAL; empty: OUT/evaluation when it holds a metrics.json
  std::string output;      // the page; empty: OUT/report.html
  CostOptions cost;
  uint64_t seed = 0;  // of the scatter's sample
  size_t scatter_points = 3000;
  int confused_pairs = 12;  // the first of metrics.json's most_confused
  ConfusedExampleOptions examples;
};

// Throws UsageError when OUT has no manifest.json or an explicit EVAL no metrics.json, Error
// when a file is unreadable or malformed. An image that cannot be read for a thumbnail is not an
// error (its example says why).
nlohmann::ordered_json CollectReportData(storage::ObjectStore& store, const ReportOptions& options);

}  // namespace fruits::report
