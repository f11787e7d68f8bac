// The skeleton every step over a run's features parts shares: list the parts once, hand them to
// whichever process asks first, skip outputs a previous run completed, combine the counts.
//
// A step (PCA fit, PCA transform, a classifier's predictions) supplies only what it does with
// one part. Every process of `comm` calls ForEachPart with the same arguments (it is collective);
// `fn` runs on the calling thread, once per part this process takes. Errors thrown by `fn` end
// the step (and, under mpirun, the job).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dist/communicator.h"
#include "parquet/metadata.h"
#include "pipeline/features_part.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

// The parts (part-*.parquet) of a folder, in name order; none when the folder does not exist.
std::vector<std::string> PartsIn(storage::ObjectStore& store, const std::string& folder);
// The features parts (PartsIn) of a folder. Throws UsageError when none.
std::vector<std::string> FeatureParts(storage::ObjectStore& store, const std::string& folder);

// Rank 0 lists the parts of `folder` (FeatureParts); every rank gets the same list.
std::vector<std::string> SharedFeatureParts(storage::ObjectStore& store, dist::Communicator& comm,
                                            const std::string& folder);

// What a step writes for each features part, if anything.
struct PartOutputs {
  // OUTPUT/part-NNNNN.parquet, named as the features part; empty: the step writes no parts.
  std::string folder;
  // What the step's outputs depend on besides their features part (e.g. the PCA model's
  // digest): stored in every output part's footer, and compared on resume.
  std::vector<parquet::KeyValue> facts;
  // Keep an output part whose footer holds the same facts and shard digest, and as many rows
  // as its features part.
  bool resume = false;
};

// One part handed to a step.
struct PartTask {
  int64_t index = 0;  // in the part list
  FeaturesPartReader& input;
  std::string output;                       // empty when the step writes no parts
  std::vector<parquet::KeyValue> metadata;  // for the output part's footer
};

// Over every process.
struct PartTotals {
  int64_t rows = 0;  // of the parts done or kept
  int64_t parts_written = 0;
  int64_t parts_resumed = 0;
};

// Results a step computes per part and merges on rank 0 in part order, so that the merge does
// not depend on which process took which part: each process appends a (part index, bytes)
// record per part it did, Communicator::Gather brings every process's records to rank 0, and
// PartResultsInOrder reads them back ordered by part. Throws Error on a malformed message.
void AppendPartResult(std::string& records, int64_t part, std::string_view bytes);
std::map<int64_t, std::string> PartResultsInOrder(const std::vector<std::string>& gathered);

PartTotals ForEachPart(storage::ObjectStore& store, dist::Communicator& comm,
                       const std::vector<std::string>& parts, const PartOutputs& outputs,
                       const std::function<void(PartTask&)>& fn);

}  // namespace fruits::pipeline
