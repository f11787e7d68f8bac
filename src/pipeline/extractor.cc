#include "pipeline/extractor.h"

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <optional>
#include <thread>

#include "model/backend_registry.h"
#include "pipeline/batch_stages.h"
#include "pipeline/model_session.h"
#include "pipeline/output_layout.h"
#include "pipeline/shard_sink.h"
#include "pipeline/work_plan.h"
#include "util/error.h"
#include "util/progress.h"
#include "util/seconds_since.h"

namespace fruits::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

void CheckOptions(const ExtractOptions& options) {
  if (options.input.empty() == options.input_list.empty()) {
    throw UsageError("give the images with either --input FOLDER or --input-list FILE");
  }
  if (options.batch_size < 1 || options.batch_size > model::LargestMaxBatch()) {
    throw UsageError("--batch-size must be between 1 and " +
                     std::to_string(model::LargestMaxBatch()));
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

StageSeconds Seconds(const StageClocks& clocks) {
  return {clocks.read * 1e-9, clocks.decode * 1e-9, clocks.infer * 1e-9, clocks.write * 1e-9};
}

ManifestSection ExtractManifest(const ExtractOptions& options, const ExtractSummary& summary,
                                const OutputLayout& layout) {
  ManifestSection m;
  m["input"] = {
      {"source", options.input.empty() ? options.input_list : options.input},
      {"kind", options.input.empty() ? "list file" : "folder"},
      {"labels",
       options.catalog.label_from == LabelSource::kParentFolder ? "parent folder" : "none"},
      {"images", summary.inputs},
      {"skipped_files", summary.skipped_files},
      {"shards", summary.shards},
      {"shard_size", options.shard_size}};
  m["model"] = {{"source", options.model},
                {"sha256", summary.model_sha256},
                {"quantized", summary.model_quantized},
                {"feature_layer", summary.feature_layer.tensor},
                {"feature_layer_reason", summary.feature_layer.reason},
                {"feature_dim", summary.feature_layer.dimension},
                {"backend", summary.backend},
                {"time_share_outside_engine", RoundTo(summary.share_outside_engine, 4)}};
  m["preprocessing"] = {{"normalization", image::ToString(options.normalization)},
                        {"resize", image::ToString(options.resize)},
                        {"max_pixels", options.decode.max_pixels}};
  m["settings"] = {{"processes", summary.processes},
                   {"hosts", CountHosts(summary.ranks)},
                   {"threads", summary.threads},
                   {"batch_size", options.batch_size},
                   {"resume", options.resume}};
  m["results"] = {{"ok", summary.ok},
                  {"failed", summary.failed},
                  {"shards_written", summary.shards_written},
                  {"shards_resumed", summary.shards_resumed}};
  m["seconds"] = {{"total", RoundTo(summary.seconds, 3)},
                  {"catalog", RoundTo(summary.catalog_seconds, 3)},
                  {"model_load", RoundTo(summary.model_seconds, 3)},
                  {"model_broadcast", RoundTo(summary.broadcast_seconds, 3)},
                  {"read", RoundTo(summary.stages.read, 3)},
                  {"decode_preprocess", RoundTo(summary.stages.decode, 3)},
                  {"infer", RoundTo(summary.stages.infer, 3)},
                  {"write", RoundTo(summary.stages.write, 3)}};
  m["images_per_second"] = RoundTo(summary.images_per_second, 1);
  if (summary.processes > 1) {
    ManifestSection ranks = ManifestSection::array();
    for (const RankFigures& r : summary.ranks) {
      ranks.push_back({{"rank", r.rank},
                       {"shards", r.shards},
                       {"images", r.images},
                       {"images_per_second", RoundTo(r.seconds > 0 ? r.images / r.seconds : 0, 1)},
                       {"seconds", RoundTo(r.seconds, 3)},
                       {"seconds_waiting", RoundTo(r.seconds_waiting, 3)},
                       {"host", r.host}});
    }
    m["ranks"] = ranks;
  }
  m["outputs"] = {{"features", layout.FeaturesFolder()}, {"errors", layout.ErrorsFolder()}};
  m["step_seconds"] = {{"extract", RoundTo(summary.seconds, 3)}};
  return m;
}

}  // namespace

ExtractSummary Extract(storage::ObjectStore& store, dist::Communicator& comm,
                       const ExtractOptions& options) {
  const auto start = Clock::now();
  CheckOptions(options);
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const OutputLayout layout(options.output);
  if (comm.is_root()) CheckOutputFree(store, layout, options.resume);
  const WorkPlan plan =
      MakeWorkPlan(store, comm, {options.input, options.input_list, options.catalog},
                   options.shard_size, options.resume, layout);
  const ModelSession session = OpenModelSession(
      store, comm,
      {options.model, options.model_options, options.resize, options.normalization, threads});
  if (options.batch_size > session.backend().max_batch()) {
    throw UsageError("--batch-size " + std::to_string(options.batch_size) + " is more than the " +
                     std::string(session.backend().name()) + " backend takes (" +
                     std::to_string(session.backend().max_batch()) + ")");
  }
  const std::unique_ptr<dist::TaskQueue> tasks =
      comm.NewTaskQueue(static_cast<int64_t>(plan.pending.size()));

  // Under mpirun, rank 0 shows its own share of the work.
  StageClocks clocks;
  Progress progress(comm.size() == 1 ? "extract" : "extract (rank 0)",
                    static_cast<int64_t>(plan.catalog.size()) / comm.size(),
                    options.quiet || !comm.is_root());
  progress.Update(plan.resumed_images, plan.resumed_failed);
  ShardSink sink(store, layout, plan, session.backend().feature_dim(), session.footer_facts, clocks,
                 progress);
  const BatchStages::ShardSource next_shard = [&]() -> const Shard* {
    StageTimer timer(clocks.waiting);
    std::optional<int64_t> task = tasks->Next();
    return task ? &plan.shards[plan.pending[*task]] : nullptr;
  };
  const auto work_start = Clock::now();
  // Images on a remote store leave a worker waiting on the network for each batch it fetches;
  // one more worker keeps every core inferring meanwhile (inference still runs on `threads`
  // engine instances).
  const int remote = (!options.input.empty() && store.IsRemote(options.input)) ||
                     (!options.input_list.empty() && store.IsRemote(options.input_list));
  {
    tbb::global_control allow_workers(tbb::global_control::max_allowed_parallelism,
                                      static_cast<size_t>(threads + remote));
    tbb::task_arena arena(threads + remote);
    BatchStages stages(store, plan.catalog, session, options.decode, options.batch_size, clocks);
    arena.execute([&] { stages.Run(threads, next_shard, sink); });
  }
  sink.DiscardPartialShard();
  progress.Finish();
  const double work_seconds = SecondsSince(work_start);
  {
    StageTimer timer(clocks.waiting);
    tasks->Finish();
  }
  const CombinedFigures figures = Combine(
      comm, {sink.ok(), sink.failed(), sink.images(), sink.shards(), Seconds(clocks)},
      {comm.rank(), sink.shards(), sink.images(), work_seconds, clocks.waiting * 1e-9, ThisHost()});

  ExtractSummary summary;
  summary.inputs = static_cast<int64_t>(plan.catalog.size());
  summary.ok = plan.resumed_ok + figures.total.ok;
  summary.failed = plan.resumed_failed + figures.total.failed;
  summary.skipped_files = plan.catalog.skipped();
  summary.shards = static_cast<int64_t>(plan.shards.size());
  summary.shards_written = figures.total.shards_written;
  summary.shards_resumed = plan.resumed_shards;
  summary.interrupted = summary.shards_written + summary.shards_resumed < summary.shards;
  summary.catalog_seconds = plan.catalog_seconds;
  summary.model_seconds = session.seconds;
  summary.broadcast_seconds = session.broadcast_seconds;
  summary.stages = figures.total.stages;
  summary.feature_layer = session.loaded.feature_layer;
  summary.model_sha256 = session.loaded.graph.sha256();
  summary.model_quantized = session.quantized;
  summary.backend = std::string(session.backend().name());
  summary.share_outside_engine = session.backend().share_outside_engine();
  summary.processes = comm.size();
  summary.threads = threads;
  summary.ranks = figures.ranks;
  summary.seconds = SecondsSince(start);
  summary.images_per_second = static_cast<double>(figures.total.images) / summary.seconds;
  summary.manifest = ExtractManifest(options, summary, layout);
  return summary;
}

}  // namespace fruits::pipeline
