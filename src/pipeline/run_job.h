// The jobs the CLI runs: a sequence of steps over one output folder, and its manifest.
//
//   ExtractJob: extract -> manifest                          (`fruits extract`)
//   RunJob:     extract -> PCA fit -> PCA transform -> manifest   (`fruits run`)
//               with a test set: extract Training, extract Test, train the classifier (its k
//               choice sets the PCA's k), PCA fit, transform both, evaluate  (`fruits run --test`)
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
#include "pipeline/evaluate_step.h"
#include "pipeline/extractor.h"
#include "pipeline/pca_steps.h"
#include "pipeline/train_step.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

ExtractSummary ExtractJob(storage::ObjectStore& store, dist::Communicator& comm,
                          const ExtractOptions& options);

// The test half of `fruits run --test`.
struct TestOptions {
  std::string input;   // the test images, extracted like the training images
  TrainOptions train;  // its features, output and resume are the run's
  int top = 5;         // of the evaluation
};

struct RunOptions {
  ExtractOptions extract;  // its output and resume apply to every step
  pca::PcaOptions pca;     // without a test set
  std::optional<TestOptions> test;
};

// Steps absent when an extraction was interrupted (or, for the test steps, without a test set).
struct RunSummary {
  ExtractSummary extract;
  std::optional<ExtractSummary> test_extract;
  std::optional<TrainResult> train;
  std::optional<FitResult> fit;
  std::optional<TransformResult> transform;
  std::optional<TransformResult> test_transform;
  std::optional<EvaluateResult> evaluate;
};

// Throws Error "no image could be read: nothing to fit a PCA on" when every image failed (and
// likewise for the test images).
RunSummary RunJob(storage::ObjectStore& store, dist::Communicator& comm, const RunOptions& options);

}  // namespace fruits::pipeline
