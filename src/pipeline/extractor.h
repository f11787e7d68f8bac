// `fruits extract`: images to feature vectors in Parquet, on one machine.
//
// Stages run concurrently on --threads workers with a bounded number of batches in flight (so
// memory does not grow with the number of images): list (once) -> read -> decode and
// preprocess -> infer -> write. Batches never cross a shard boundary; the writer publishes each
// shard's parts when its last batch is in. An image that cannot be read or decoded becomes an
// error record and the run goes on: rows + error records = inputs. A stop request (Ctrl-C) lets
// the batches in flight finish, keeps complete shards and discards the partial one. Under
// mpirun, every process runs this pipeline on the shards it takes from a shared queue.
// Failures that end the run (no input, a model the backend cannot run, an output that cannot be
// written) throw fruits::Error before or during the run, leaving complete shards in place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "image/decode.h"
#include "image/preprocessor.h"
#include "model/model_loader.h"
#include "pipeline/catalog.h"
#include "pipeline/manifest.h"
#include "pipeline/run_figures.h"
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
  // backend_options.cores is set to the run's workers; the backend fills what is left at 0.
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
  double catalog_seconds = 0;    // listing the input (rank 0) and sending the catalog to all
  double model_seconds = 0;      // reading, sending, checking and loading the model
  double broadcast_seconds = 0;  // of which sending the model bytes to every process
  double images_per_second = 0;  // images this run decoded and inferred, per second of the run
  StageSeconds stages;
  model::FeatureLayer feature_layer;
  std::string model_sha256;
  bool model_quantized = false;  // a QDQ int8 file (`fruits model quantize`)
  std::string backend;
  // Of this process's inference time, the share spent outside the backend's engine (our kernels
  // between XNNPACK's subgraphs).
  double share_outside_engine = 0;
  int processes = 1;
  int threads = 0;                 // workers per process, resolved
  std::vector<RankFigures> ranks;  // on rank 0
  // input, model, preprocessing, settings, results, seconds, images_per_second, ranks,
  // outputs (features, errors), step_seconds (extract): see docs/outputs.md.
  ManifestSection manifest;
};

// Every process of `comm` calls it with the same options: rank 0 lists the input and reads the
// model once and sends them to the others; shards go to whichever process asks first; counts
// are combined on every rank. The manifest is the caller's (see run_job.h). Throws UsageError
// for bad options (no input, an output already holding a run without --resume), Error for
// failures that end the run.
ExtractSummary Extract(storage::ObjectStore& store, dist::Communicator& comm,
                       const ExtractOptions& options);

}  // namespace fruits::pipeline
