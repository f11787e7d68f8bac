#include "pipeline/batch_stages.h"

#include <tbb/parallel_pipeline.h>

#include "util/error.h"
#include "util/stop_signal.h"

namespace fruits::pipeline {

namespace {

// A file this large is not a photograph: refused before reading it whole into memory.
constexpr uint64_t kMaxImageBytes = 256ull << 20;

using BatchPtr = std::shared_ptr<Batch>;

// The bytes of the images, fetched together: on S3 concurrently, so a batch costs about one
// round trip while other workers infer earlier batches.
std::vector<Result<std::string>> ReadImages(storage::ObjectStore& store,
                                            std::span<const CatalogEntry> entries) {
  std::vector<std::string> uris;
  for (const CatalogEntry& entry : entries) {
    if (entry.size <= kMaxImageBytes) uris.push_back(entry.uri);
  }
  std::vector<Result<std::string>> fetched = store.ReadMany(uris);
  std::vector<Result<std::string>> bytes;
  size_t next = 0;
  for (const CatalogEntry& entry : entries) {
    if (entry.size <= kMaxImageBytes) {
      bytes.push_back(std::move(fetched[next++]));
    } else {
      bytes.push_back(Result<std::string>::Failure("file is " + std::to_string(entry.size >> 20) +
                                                   " MiB, too large for an image"));
    }
  }
  return bytes;
}

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
  const std::span<const CatalogEntry> entries =
      std::span(catalog_.entries()).subspan(batch.begin, batch.end - batch.begin);
  PreparedImages images = ReadAndPreprocess(store_, entries, decode_, session_.preprocessor,
                                            session_.backend().input(), clocks_);
  for (size_t i : images.decoded) batch.decoded.push_back(batch.begin + i);
  batch.errors = std::move(images.errors);
  batch.input = std::move(images.input);
}

PreparedImages ReadAndPreprocess(storage::ObjectStore& store, std::span<const CatalogEntry> entries,
                                 const image::DecodeOptions& decode,
                                 const image::Preprocessor& preprocessor,
                                 const model::ImageInput& input, StageClocks& clocks) {
  std::vector<Result<std::string>> bytes;
  {
    StageTimer timer(clocks.read);
    bytes = ReadImages(store, entries);
  }
  PreparedImages prepared;
  std::vector<image::RgbImage> images;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!bytes[i].ok()) {
      prepared.errors.push_back({entries[i].uri, "read", bytes[i].error()});
      continue;
    }
    StageTimer timer(clocks.decode);
    Result<image::RgbImage> decoded = image::DecodeImage(bytes[i].value(), decode);
    if (!decoded.ok()) {
      prepared.errors.push_back({entries[i].uri, "decode", decoded.error()});
      continue;
    }
    images.push_back(std::move(decoded).value());
    prepared.decoded.push_back(i);
  }
  StageTimer timer(clocks.decode);
  prepared.input = model::Tensor(input.BatchShape(static_cast<int64_t>(images.size())));
  // The preprocessor writes image_floats() per image: a row of another size would overflow the
  // tensor or leave part of it unset. Both come from the model's input, so this is our bug.
  const size_t row_floats = static_cast<size_t>(prepared.input.RowSize());
  if (!images.empty() && row_floats != preprocessor.image_floats()) {
    throw Error("internal error: the model takes " + std::to_string(row_floats) +
                " floats per image, the preprocessor writes " +
                std::to_string(preprocessor.image_floats()));
  }
  for (size_t k = 0; k < images.size(); ++k) {
    preprocessor.Run(images[k], prepared.input.row(static_cast<int64_t>(k)));
  }
  return prepared;
}

}  // namespace fruits::pipeline
