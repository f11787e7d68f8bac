#include "pipeline/batch_stages.h"

#include <tbb/parallel_pipeline.h>

#include "util/error.h"
#include "util/stop_signal.h"

namespace fruits::pipeline {

namespace {

// A file this large is not a photograph: refused before reading it whole into memory.
constexpr uint64_t kMaxImageBytes = 256ull << 20;

using BatchPtr = std::shared_ptr<Batch>;

}  // namespace

BatchStages::BatchStages(storage::ObjectStore& store, const Catalog& catalog,
                         const ModelSession& session, const image::DecodeOptions& decode,
                         int batch_size, StageClocks& clocks)
    : store_(store),
      catalog_(catalog),
      session_(session),
      decode_(decode),
      batch_size_(batch_size),
      clocks_(clocks) {}

void BatchStages::Run(int workers, const ShardSource& next_shard, BatchSink& sink) {
  const Shard* shard = nullptr;
  size_t next = 0;
  auto list = [&](tbb::flow_control& control) -> BatchPtr {
    if (shard == nullptr || next == shard->end) {
      shard = StopSignal::Requested() ? nullptr : next_shard();
      if (shard != nullptr) next = shard->begin;
    }
    if (shard == nullptr) {
      control.stop();
      return nullptr;
    }
    auto batch = std::make_shared<Batch>();
    batch->shard = shard;
    batch->begin = next;
    batch->end = std::min(next + static_cast<size_t>(batch_size_), shard->end);
    next = batch->end;
    return batch;
  };
  auto decode = [&](BatchPtr batch) {
    Decode(*batch);
    return batch;
  };
  auto infer = [&](BatchPtr batch) {
    if (!batch->decoded.empty()) {
      StageTimer timer(clocks_.infer);
      batch->features = session_.backend().Run(batch->input);
      batch->input = model::Tensor();
    }
    return batch;
  };
  auto write = [&](BatchPtr batch) { sink.Write(*batch); };
  // An engine that runs one batch at a time (a GPU's single stream) gets a serial stage.
  const tbb::filter_mode infer_mode = session_.backend().concurrent_runs() > 1
                                          ? tbb::filter_mode::parallel
                                          : tbb::filter_mode::serial_out_of_order;
  // A few batches per worker in flight: enough to keep every stage busy, bounded memory.
  tbb::parallel_pipeline(
      static_cast<size_t>(2 * workers + 2),
      tbb::make_filter<void, BatchPtr>(tbb::filter_mode::serial_in_order, list) &
          tbb::make_filter<BatchPtr, BatchPtr>(tbb::filter_mode::parallel, decode) &
          tbb::make_filter<BatchPtr, BatchPtr>(infer_mode, infer) &
          tbb::make_filter<BatchPtr, void>(tbb::filter_mode::serial_in_order, write));
}

void BatchStages::Decode(Batch& batch) const {
  std::vector<Result<std::string>> batch_bytes = ReadImages(batch);
  std::vector<image::RgbImage> images;
  for (size_t i = batch.begin; i < batch.end; ++i) {
    const CatalogEntry& entry = catalog_.entries()[i];
    Result<std::string>& bytes = batch_bytes[i - batch.begin];
    if (!bytes.ok()) {
      batch.errors.push_back({entry.uri, "read", bytes.error()});
      continue;
    }
    StageTimer timer(clocks_.decode);
    Result<image::RgbImage> decoded = image::DecodeImage(bytes.value(), decode_);
    if (!decoded.ok()) {
      batch.errors.push_back({entry.uri, "decode", decoded.error()});
      continue;
    }
    images.push_back(std::move(decoded).value());
    batch.decoded.push_back(i);
  }
  StageTimer timer(clocks_.decode);
  batch.input =
      model::Tensor(session_.backend().input().BatchShape(static_cast<int64_t>(images.size())));
  // The preprocessor writes image_floats() per image: a row of another size would overflow the
  // tensor or leave part of it unset. Both come from the backend's input, so this is our bug.
  const size_t row_floats = static_cast<size_t>(batch.input.RowSize());
  if (!images.empty() && row_floats != session_.preprocessor.image_floats()) {
    throw Error("internal error: the model takes " + std::to_string(row_floats) +
                " floats per image, the preprocessor writes " +
                std::to_string(session_.preprocessor.image_floats()));
  }
  for (size_t k = 0; k < images.size(); ++k) {
    session_.preprocessor.Run(images[k], batch.input.row(static_cast<int64_t>(k)));
  }
}

// The bytes of the batch's images, fetched together: on S3 concurrently, so the batch costs
// about one round trip while other workers infer earlier batches.
std::vector<Result<std::string>> BatchStages::ReadImages(const Batch& batch) const {
  StageTimer timer(clocks_.read);
  std::vector<std::string> uris;
  for (size_t i = batch.begin; i < batch.end; ++i) {
    const CatalogEntry& entry = catalog_.entries()[i];
    if (entry.size <= kMaxImageBytes) uris.push_back(entry.uri);
  }
  std::vector<Result<std::string>> fetched = store_.ReadMany(uris);
  std::vector<Result<std::string>> bytes;
  size_t next = 0;
  for (size_t i = batch.begin; i < batch.end; ++i) {
    const CatalogEntry& entry = catalog_.entries()[i];
    if (entry.size <= kMaxImageBytes) {
      bytes.push_back(std::move(fetched[next++]));
    } else {
      bytes.push_back(Result<std::string>::Failure("file is " + std::to_string(entry.size >> 20) +
                                                   " MiB, too large for an image"));
    }
  }
  return bytes;
}

}  // namespace fruits::pipeline
