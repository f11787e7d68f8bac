// `fruits extract`: images to feature vectors in Parquet, on one machine.
//
// Stages run concurrently on --threads workers with a bounded number of batches in flight (so
// memory does not grow with the number of images): list (once) -> read -> decode and
// preprocess -> infer -> write. Batches never cross a shard boundary; the writer publishes each
// shard's parts when its last batch is in. An image that cannot be read or decoded becomes an
// error record and the run goes on: rows + error records = inputs. A stop request (Ctrl-C) lets
// the batches in flight finish, keeps complete shards and discards the partial one.
// Failures that end the run (no input, a model the backend cannot run, an output that cannot be
// written) throw fruits::Error before or during the run, leaving complete shards in place.
#pragma once

#include <cstdint>
#include <string>

#include "image/decode.h"
#include "image/preprocessor.h"
#include "model/model_loader.h"
#include "pipeline/catalog.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

struct ExtractOptions {
  // Exactly one of: a folder of images, or a file listing them (one path per line).
  std::string input;
  std::string input_list;
  std::string model;
  std::string output;
  CatalogOptions catalog;
  // Images per shard: the unit of output files and of --resume.
  int64_t shard_size = 10000;
  // Images per inference call.
  int batch_size = 32;
  // Workers for every stage; 0: all cores.
  int threads = 0;
  model::ModelOptions model_options;
  image::DecodeOptions decode;
  image::ResizeFilter resize = image::ResizeFilter::kBicubic;
  image::Normalization normalization = image::Normalization::kMobileNet;
  // Keep shards a previous run completed for the same inputs; redo the others.
  bool resume = false;
  bool quiet = false;
  // How the run was asked for, recorded in the manifest.
  std::string command_line;
};

// Seconds summed over workers (a stage on two workers for 1 s counts 2 s).
struct StageSeconds {
  double read = 0;
  double decode = 0;
  double infer = 0;
  double write = 0;
};

struct ExtractSummary {
  int64_t inputs = 0;
  int64_t ok = 0;
  int64_t failed = 0;
  int64_t skipped_files = 0;  // not images, by extension
  int64_t shards = 0;
  int64_t shards_written = 0;
  int64_t shards_resumed = 0;  // complete from an earlier run, kept
  bool interrupted = false;
  double seconds = 0;
  double model_seconds = 0;      // reading, checking and loading the model
  double images_per_second = 0;  // images this run decoded and inferred, per second of the run
  StageSeconds stages;
  model::FeatureLayer feature_layer;
  std::string model_sha256;
  std::string backend;
};

// Throws UsageError for bad options (no input, an output already holding a run without
// --resume), Error for failures that end the run.
ExtractSummary Extract(storage::ObjectStore& store, const ExtractOptions& options);

}  // namespace fruits::pipeline
