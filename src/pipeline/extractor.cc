#include "pipeline/extractor.h"

#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "pipeline/manifest.h"
#include "pipeline/output_layout.h"
#include "pipeline/shard_writer.h"
#include "util/error.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/stop_signal.h"
#include "util/version.h"

namespace fruits::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

// A file this large is not a photograph: refused before reading it whole into memory.
constexpr uint64_t kMaxImageBytes = 256ull << 20;
// Error records printed as warnings; the rest are only in the errors parts.
constexpr int64_t kErrorsLogged = 10;

// Adds the time from construction to destruction to a stage's total, in nanoseconds.
class StageTimer {
 public:
  explicit StageTimer(std::atomic<int64_t>& total) : total_(total), start_(Clock::now()) {}
  ~StageTimer() {
    total_ += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }

 private:
  std::atomic<int64_t>& total_;
  Clock::time_point start_;
};

struct StageNanoseconds {
  std::atomic<int64_t> read{0};
  std::atomic<int64_t> decode{0};
  std::atomic<int64_t> infer{0};
  std::atomic<int64_t> write{0};
};

// One batch on its way through the stages: images [begin, end) of one shard.
struct Batch {
  const Shard* shard = nullptr;
  size_t begin = 0;
  size_t end = 0;
  std::vector<size_t> decoded;  // catalog indices of the images in `input`, in order
  std::vector<ErrorRecord> errors;
  model::Tensor input;
  model::Tensor features;
};
using BatchPtr = std::shared_ptr<Batch>;

void CheckOptions(const ExtractOptions& options) {
  if (options.input.empty() == options.input_list.empty()) {
    throw UsageError("give the images with either --input FOLDER or --input-list FILE");
  }
  if (options.batch_size < 1 || options.batch_size > model::Backend::kMaxBatch) {
    throw UsageError("--batch-size must be between 1 and " +
                     std::to_string(model::Backend::kMaxBatch));
  }
  if (options.shard_size < 1) throw UsageError("--shard-size must be at least 1");
  if (options.threads < 0) throw UsageError("--threads must be 0 (all cores) or more");
}

void CheckOutputFree(storage::ObjectStore& store, const OutputLayout& layout, bool resume) {
  if (resume || !store.Exists(layout.FeaturesFolder())) return;
  if (!store.List(layout.FeaturesFolder()).empty()) {
    throw UsageError("'" + layout.root() +
                     "' already holds features from a run: add --resume to continue it, or "
                     "choose an empty --output");
  }
}

std::string Preprocessing(const image::Preprocessor& preprocessor, model::Layout layout) {
  const image::PreprocessOptions& o = preprocessor.options();
  return image::ToString(o.normalization) + ", " + image::ToString(o.filter) + " resize to " +
         std::to_string(o.width) + "x" + std::to_string(o.height) + ", " +
         model::LayoutName(layout);
}

class ExtractRun {
 public:
  ExtractRun(storage::ObjectStore& store, dist::Communicator& comm, const ExtractOptions& options)
      : store_(store), comm_(comm), options_(options), layout_(options.output) {}

  ExtractSummary Run() {
    const auto start = Clock::now();
    CheckOptions(options_);
    const int threads = options_.threads > 0
                            ? options_.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (comm_.is_root()) CheckOutputFree(store_, layout_, options_.resume);
    ListInputs();
    LoadModel(threads);
    FindCompletedShards();

    // Under mpirun, rank 0 shows its own share of the work.
    const int64_t share = static_cast<int64_t>(catalog_.size()) / comm_.size();
    Progress progress(comm_.size() == 1 ? "extract" : "extract (rank 0)", share,
                      options_.quiet || !comm_.is_root());
    progress_ = &progress;
    progress.Update(handled_, summary_.failed);
    const auto work_start = Clock::now();
    // Images on a remote store leave a worker waiting on the network for each batch it fetches;
    // one more worker keeps every core inferring meanwhile (inference still runs on `threads`
    // engine instances).
    const int remote = (!options_.input.empty() && store_.IsRemote(options_.input)) ||
                       (!options_.input_list.empty() && store_.IsRemote(options_.input_list));
    tbb::global_control allow_workers(tbb::global_control::max_allowed_parallelism,
                                      static_cast<size_t>(threads + remote));
    tbb::task_arena arena(threads + remote);
    arena.execute([&] { RunStages(threads); });
    writer_.reset();  // a shard cut short by a stop request is discarded
    progress.Finish();
    const double work_seconds = std::chrono::duration<double>(Clock::now() - work_start).count();
    {
      StageTimer timer(waiting_ns_);
      tasks_->Finish();
    }
    CombineRanks(work_seconds);

    summary_.interrupted = summary_.shards_written + summary_.shards_resumed < summary_.shards;
    summary_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    summary_.images_per_second = static_cast<double>(processed_) / summary_.seconds;
    if (comm_.is_root()) WriteManifest(store_, layout_, options_, summary_, threads);
    comm_.Barrier();
    return summary_;
  }

 private:
  // Sums the counts of every rank into the summary, and gathers each rank's figures.
  void CombineRanks(double work_seconds) {
    const RankFigures mine{comm_.rank(), shards_written_here_, processed_, work_seconds,
                           waiting_ns_ * 1e-9};
    std::vector<double> totals = {static_cast<double>(summary_.ok - resumed_ok_),
                                  static_cast<double>(summary_.failed - resumed_failed_),
                                  static_cast<double>(processed_),
                                  static_cast<double>(shards_written_here_),
                                  stage_ns_.read * 1e-9,
                                  stage_ns_.decode * 1e-9,
                                  stage_ns_.infer * 1e-9,
                                  stage_ns_.write * 1e-9};
    comm_.AllReduceSum(totals);
    summary_.ok = resumed_ok_ + static_cast<int64_t>(totals[0]);
    summary_.failed = resumed_failed_ + static_cast<int64_t>(totals[1]);
    processed_ = static_cast<int64_t>(totals[2]);
    summary_.shards_written = static_cast<int64_t>(totals[3]);
    summary_.stages = {totals[4], totals[5], totals[6], totals[7]};
    summary_.processes = comm_.size();
    for (const std::string& bytes : comm_.Gather(mine.Serialize())) {
      summary_.ranks.push_back(RankFigures::Deserialize(bytes));
    }
  }

 private:
  // Rank 0 lists the input once; the others receive its catalog.
  void ListInputs() {
    const auto start = Clock::now();
    const std::string& source = options_.input.empty() ? options_.input_list : options_.input;
    std::string bytes;
    if (comm_.is_root()) {
      catalog_ = options_.input.empty()
                     ? Catalog::FromListFile(store_, options_.input_list, options_.catalog)
                     : Catalog::FromFolder(store_, options_.input, options_.catalog);
      bytes = catalog_.Serialize();
    }
    comm_.Broadcast(bytes);
    if (!comm_.is_root()) catalog_ = Catalog::Deserialize(bytes);
    summary_.catalog_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    shards_ = catalog_.Shards(options_.shard_size);
    summary_.inputs = static_cast<int64_t>(catalog_.size());
    summary_.skipped_files = catalog_.skipped();
    summary_.shards = static_cast<int64_t>(shards_.size());
    LogInfo(std::to_string(catalog_.size()) + " images in " + std::to_string(shards_.size()) +
            " shard" + (shards_.size() == 1 ? "" : "s") + " from '" + source + "'" +
            (comm_.size() > 1 ? " for " + std::to_string(comm_.size()) + " processes" : "") +
            (catalog_.skipped() > 0
                 ? " (" + std::to_string(catalog_.skipped()) + " files that are not images skipped)"
                 : ""));
  }

  void LoadModel(int threads) {
    const auto start = Clock::now();
    model::ModelOptions model_options = options_.model_options;
    // One network per worker, one thread each: faster than one shared network (docs/models.md).
    model_options.backend_options = {.threads = 1, .concurrent_runs = threads};
    // Rank 0 reads the model once; the others receive its bytes.
    std::string bytes;
    if (comm_.is_root()) bytes = model::OnnxModel::ReadBytes(store_, options_.model);
    const auto broadcast_start = Clock::now();
    comm_.Broadcast(bytes);
    summary_.broadcast_seconds =
        std::chrono::duration<double>(Clock::now() - broadcast_start).count();
    loaded_ = std::make_unique<model::LoadedModel>(
        model::LoadModel(model::OnnxModel::Parse(bytes, options_.model), model_options));
    const model::ImageInput& input = loaded_->backend->input();
    preprocessor_ = std::make_unique<image::Preprocessor>(
        image::PreprocessOptions{.width = input.width,
                                 .height = input.height,
                                 .filter = options_.resize,
                                 .normalization = options_.normalization,
                                 .channels_last = input.layout == model::Layout::kNhwc});
    summary_.feature_layer = loaded_->feature_layer;
    summary_.model_sha256 = loaded_->graph.sha256();
    summary_.backend = std::string(loaded_->backend->name());
    summary_.model_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    LogInfo("model '" + options_.model + "': feature layer '" + loaded_->feature_layer.tensor +
            "' (" + std::to_string(loaded_->feature_layer.dimension) + " floats per image), " +
            loaded_->feature_layer.reason + "; " + summary_.backend + " backend, " +
            std::to_string(threads) + " worker" + (threads == 1 ? "" : "s"));
    metadata_ = {{"fruits.version", kVersion},
                 {"fruits.model", options_.model},
                 {"fruits.model.sha256", summary_.model_sha256},
                 {"fruits.feature_layer", loaded_->feature_layer.tensor},
                 {"fruits.preprocessing", Preprocessing(*preprocessor_, input.layout)}};
  }

  // Rank 0 finds the shards an earlier run completed; every rank learns which are left.
  void FindCompletedShards() {
    for (const Shard& shard : shards_) digests_.push_back(catalog_.ShardDigest(shard));
    std::string complete(shards_.size(), '0');
    if (options_.resume && comm_.is_root()) {
      for (const Shard& shard : shards_) {
        if (auto counts = FindCompletedShard(store_, layout_, shard, digests_[shard.id])) {
          complete[shard.id] = '1';
          resumed_ok_ += counts->ok;
          resumed_failed_ += counts->failed;
          handled_ += static_cast<int64_t>(shard.size());
        }
      }
    }
    comm_.Broadcast(complete);
    std::vector<double> resumed = {static_cast<double>(resumed_ok_),
                                   static_cast<double>(resumed_failed_)};
    comm_.AllReduceSum(resumed);  // only rank 0 counted: every rank gets its figures
    resumed_ok_ = static_cast<int64_t>(resumed[0]);
    resumed_failed_ = static_cast<int64_t>(resumed[1]);
    for (const Shard& shard : shards_) {
      if (complete[shard.id] == '0') {
        pending_.push_back(shard.id);
      } else {
        ++summary_.shards_resumed;
      }
    }
    summary_.ok = resumed_ok_;
    summary_.failed = resumed_failed_;
    if (summary_.shards_resumed > 0) {
      LogInfo("resuming: " + std::to_string(summary_.shards_resumed) + " of " +
              std::to_string(shards_.size()) + " shards already complete");
    }
    tasks_ = comm_.NewTaskQueue(static_cast<int64_t>(pending_.size()));
  }

  void RunStages(int threads) {
    const Shard* shard = nullptr;
    size_t next = 0;
    auto list = [&](tbb::flow_control& control) -> BatchPtr {
      if (shard == nullptr || next == shard->end) {
        shard = StopSignal::Requested() ? nullptr : NextShard();
        if (shard != nullptr) next = shard->begin;
      }
      if (shard == nullptr) {
        control.stop();
        return nullptr;
      }
      auto batch = std::make_shared<Batch>();
      batch->shard = shard;
      batch->begin = next;
      batch->end = std::min(next + options_.batch_size, shard->end);
      next = batch->end;
      return batch;
    };
    auto decode = [&](BatchPtr batch) { return Decode(std::move(batch)); };
    auto infer = [&](BatchPtr batch) {
      if (!batch->decoded.empty()) {
        StageTimer timer(stage_ns_.infer);
        batch->features = loaded_->backend->Run(batch->input);
        batch->input = model::Tensor();
      }
      return batch;
    };
    auto write = [&](BatchPtr batch) { Write(*batch); };
    // A few batches per worker in flight: enough to keep every stage busy, bounded memory.
    tbb::parallel_pipeline(
        static_cast<size_t>(2 * threads + 2),
        tbb::make_filter<void, BatchPtr>(tbb::filter_mode::serial_in_order, list) &
            tbb::make_filter<BatchPtr, BatchPtr>(tbb::filter_mode::parallel, decode) &
            tbb::make_filter<BatchPtr, BatchPtr>(tbb::filter_mode::parallel, infer) &
            tbb::make_filter<BatchPtr, void>(tbb::filter_mode::serial_in_order, write));
  }

  // The next shard this process works on, from the queue all processes share.
  const Shard* NextShard() {
    StageTimer timer(waiting_ns_);
    std::optional<int64_t> task = tasks_->Next();
    return task ? &shards_[pending_[*task]] : nullptr;
  }

  BatchPtr Decode(BatchPtr batch) {
    std::vector<Result<std::string>> batch_bytes = ReadImages(*batch);
    std::vector<image::RgbImage> images;
    for (size_t i = batch->begin; i < batch->end; ++i) {
      const CatalogEntry& entry = catalog_.entries()[i];
      Result<std::string>& bytes = batch_bytes[i - batch->begin];
      if (!bytes.ok()) {
        batch->errors.push_back({entry.uri, "read", bytes.error()});
        continue;
      }
      StageTimer timer(stage_ns_.decode);
      Result<image::RgbImage> decoded = image::DecodeImage(bytes.value(), options_.decode);
      if (!decoded.ok()) {
        batch->errors.push_back({entry.uri, "decode", decoded.error()});
        continue;
      }
      images.push_back(std::move(decoded).value());
      batch->decoded.push_back(i);
    }
    StageTimer timer(stage_ns_.decode);
    const model::ImageInput& input = loaded_->backend->input();
    batch->input = model::Tensor(input.BatchShape(static_cast<int64_t>(images.size())));
    for (size_t k = 0; k < images.size(); ++k) {
      preprocessor_->Run(images[k], batch->input.row(static_cast<int64_t>(k)));
    }
    return batch;
  }

  // The bytes of the batch's images, fetched together: on S3 concurrently, so the batch costs
  // about one round trip while other workers infer earlier batches.
  std::vector<Result<std::string>> ReadImages(const Batch& batch) {
    StageTimer timer(stage_ns_.read);
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

  void Write(Batch& batch) {
    StageTimer timer(stage_ns_.write);
    const Shard& shard = *batch.shard;
    if (!writer_) {
      writer_ = std::make_unique<ShardWriter>(store_, layout_, shard, digests_[shard.id],
                                              loaded_->backend->feature_dim(), metadata_);
    }
    std::vector<std::string> paths, labels;
    for (size_t i : batch.decoded) {
      paths.push_back(catalog_.entries()[i].uri);
      labels.push_back(catalog_.entries()[i].label);
    }
    writer_->AddRows(paths, labels, {batch.features.data(), batch.features.size()});
    for (ErrorRecord& error : batch.errors) {
      if (summary_.failed++ < kErrorsLogged) {
        LogWarning(error.path + ": " + error.stage + " failed: " + error.reason);
      } else if (summary_.failed == kErrorsLogged + 1) {
        LogWarning("more errors: see " + layout_.ErrorsFolder());
      }
      writer_->AddError(std::move(error));
    }
    summary_.ok += static_cast<int64_t>(batch.decoded.size());
    processed_ += static_cast<int64_t>(batch.end - batch.begin);
    handled_ += static_cast<int64_t>(batch.end - batch.begin);
    if (batch.end == shard.end) {
      writer_->Commit();
      writer_.reset();
      ++shards_written_here_;
    }
    progress_->Update(handled_, summary_.failed);
  }

  storage::ObjectStore& store_;
  dist::Communicator& comm_;
  const ExtractOptions& options_;
  OutputLayout layout_;
  Catalog catalog_;
  std::vector<Shard> shards_;
  std::vector<std::string> digests_;
  std::vector<int64_t> pending_;  // ids of the shards left to do
  std::unique_ptr<dist::TaskQueue> tasks_;
  std::unique_ptr<model::LoadedModel> loaded_;
  std::unique_ptr<image::Preprocessor> preprocessor_;
  std::vector<parquet::KeyValue> metadata_;
  std::unique_ptr<ShardWriter> writer_;
  Progress* progress_ = nullptr;
  StageNanoseconds stage_ns_;
  ExtractSummary summary_;
  std::atomic<int64_t> waiting_ns_{0};  // in the shared task queue
  int64_t shards_written_here_ = 0;
  int64_t resumed_ok_ = 0;
  int64_t resumed_failed_ = 0;
  int64_t processed_ = 0;  // inputs this process handled (all processes once combined)
  int64_t handled_ = 0;    // inputs handled, resumed shards included
};

}  // namespace

std::string RankFigures::Serialize() const {
  return nlohmann::json{{"rank", rank},
                        {"shards", shards},
                        {"images", images},
                        {"seconds", seconds},
                        {"seconds_waiting", seconds_waiting}}
      .dump();
}

RankFigures RankFigures::Deserialize(const std::string& bytes) {
  const nlohmann::json j = nlohmann::json::parse(bytes);
  return {j.at("rank").get<int>(), j.at("shards").get<int64_t>(), j.at("images").get<int64_t>(),
          j.at("seconds").get<double>(), j.at("seconds_waiting").get<double>()};
}

ExtractSummary Extract(storage::ObjectStore& store, dist::Communicator& comm,
                       const ExtractOptions& options) {
  return ExtractRun(store, comm, options).Run();
}

}  // namespace fruits::pipeline
