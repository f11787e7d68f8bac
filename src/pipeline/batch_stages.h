// The staged pipeline that turns shards of images into feature rows: list -> read and decode
// (with preprocessing) -> infer -> sink, as a oneTBB parallel_pipeline.
//
// Batches hold consecutive images of one shard and never cross a shard boundary; the sink gets
// them in catalog order (a serial in-order stage), so it can publish a shard when its last
// batch arrives. Read and decode failures become error records in the batch, never exceptions.
// At most 2 * workers + 2 batches are in flight, whatever the input size. Run() must be called
// inside a task_arena of `workers` threads; it returns when the shard source is exhausted or a
// stop (Ctrl-C) was requested at a shard boundary. An exception from a stage (e.g. the sink
// cannot write) ends Run() with it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "image/decode.h"
#include "model/tensor.h"
#include "pipeline/catalog.h"
#include "pipeline/model_session.h"
#include "pipeline/shard_writer.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

// One batch on its way through the stages: images [begin, end) of one shard.
struct Batch {
  const Shard* shard = nullptr;
  size_t begin = 0;
  size_t end = 0;
  std::vector<size_t> decoded;  // catalog indices of the images in `input`, in order
  std::vector<ErrorRecord> errors;
  model::Tensor input;
  model::Tensor features;  // decoded.size() x feature_dim
};

// Where finished batches go. Called from one thread at a time, in catalog order.
class BatchSink {
 public:
  virtual ~BatchSink() = default;
  virtual void Write(Batch& batch) = 0;
};

// Nanoseconds spent in each stage, summed over workers; safe to add to from any thread.
struct StageClocks {
  std::atomic<int64_t> read{0};
  std::atomic<int64_t> decode{0};
  std::atomic<int64_t> infer{0};
  std::atomic<int64_t> write{0};
  std::atomic<int64_t> waiting{0};  // for the next shard
};

// Adds the time from construction to destruction to a clock, in nanoseconds.
class StageTimer {
 public:
  explicit StageTimer(std::atomic<int64_t>& total)
      : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~StageTimer() {
    total_ += std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now() - start_)
                  .count();
  }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  std::atomic<int64_t>& total_;
  std::chrono::steady_clock::time_point start_;
};

// The images of a run of catalog entries that could be read and decoded, preprocessed.
struct PreparedImages {
  std::vector<size_t> decoded;      // indices into the entries of the rows of `input`, in order
  std::vector<ErrorRecord> errors;  // one per image that could not be read or decoded
  model::Tensor input;              // model input: BatchShape(decoded.size())
};

// Reads `entries` (together: on S3 concurrently), decodes them and preprocesses them into one
// input tensor of the shape `input` describes: what the pipeline does to each batch, and what a
// job that runs a model on a few batches itself (quantize's calibration) reuses. Read and decode
// failures become error records. Adds its time to clocks.read and clocks.decode.
PreparedImages ReadAndPreprocess(storage::ObjectStore& store, std::span<const CatalogEntry> entries,
                                 const image::DecodeOptions& decode,
                                 const image::Preprocessor& preprocessor,
                                 const model::ImageInput& input, StageClocks& clocks);

class BatchStages {
 public:
  // The next shard this process works on, or nullptr when none is left.
  using ShardSource = std::function<const Shard*()>;

  // All references must outlive the object.
  BatchStages(storage::ObjectStore& store, const Catalog& catalog, const ModelSession& session,
              const image::DecodeOptions& decode, int batch_size, StageClocks& clocks);

  void Run(int workers, const ShardSource& next_shard, BatchSink& sink);

 private:
  void Decode(Batch& batch) const;

  storage::ObjectStore& store_;
  const Catalog& catalog_;
  const ModelSession& session_;
  const image::DecodeOptions& decode_;
  const int batch_size_;
  StageClocks& clocks_;
};

}  // namespace fruits::pipeline
