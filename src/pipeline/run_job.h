// The jobs the CLI runs: a sequence of steps over one output folder, and its manifest.
//
//   ExtractJob: extract -> manifest                          (`fruits extract`)
//   RunJob:     extract -> PCA fit -> PCA transform -> manifest   (`fruits run`)
//
// Each step returns its result with its ManifestSection; the job writes OUT/manifest.json from
// the sections after every step (so a job that fails part-way leaves the manifest of what
// finished), on rank 0. A job stops after an interrupted extraction (Ctrl-C): the result says so
// and the caller decides the exit status. Every process of `comm` calls a job with the same
// options (collective). Throws what the steps throw (UsageError for bad options, Error for
// failures that end the job).
#pragma once

#include <optional>
#include <string>

#include "dist/communicator.h"
#include "pca/pca_model.h"
#include "pipeline/extractor.h"
#include "pipeline/pca_steps.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

ExtractSummary ExtractJob(storage::ObjectStore& store, dist::Communicator& comm,
                          const ExtractOptions& options);

struct RunOptions {
  ExtractOptions extract;  // its output and resume apply to every step
  pca::PcaOptions pca;
};

struct RunSummary {
  ExtractSummary extract;
  std::optional<FitResult> fit;              // absent when the extraction was interrupted
  std::optional<TransformResult> transform;  // likewise
};

// Throws Error "no image could be read: nothing to fit a PCA on" when every image failed.
RunSummary RunJob(storage::ObjectStore& store, dist::Communicator& comm, const RunOptions& options);

}  // namespace fruits::pipeline
