#include "pipeline/shard_sink.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "util/log.h"
#include "util/stop_signal.h"

namespace fruits::pipeline {

namespace {

// Error records printed as warnings; the rest are only in the errors parts.
constexpr int64_t kErrorsLogged = 10;

int64_t PauseAfterShardsFromEnvironment() {
  const char* value = std::getenv("FRUITS_TEST_PAUSE_AFTER_SHARDS");
  return value == nullptr ? 0 : std::atoll(value);
}

}  // namespace

ShardSink::ShardSink(storage::ObjectStore& store, const OutputLayout& layout, const WorkPlan& plan,
                     int64_t feature_dim, const std::vector<parquet::KeyValue>& footer_facts,
                     StageClocks& clocks, Progress& progress)
    : store_(store),
      layout_(layout),
      plan_(plan),
      feature_dim_(feature_dim),
      footer_facts_(footer_facts),
      clocks_(clocks),
      progress_(progress),
      pause_after_shards_(PauseAfterShardsFromEnvironment()) {}

ShardSink::~ShardSink() = default;

void ShardSink::Write(Batch& batch) {
  StageTimer timer(clocks_.write);
  const Shard& shard = *batch.shard;
  if (!writer_) {
    if (StopSignal::Requested()) return;  // a shard not started when the stop came
    writer_ = std::make_unique<ShardWriter>(store_, layout_, shard, plan_.digests[shard.id],
                                            feature_dim_, footer_facts_);
  }
  std::vector<std::string> paths, labels;
  for (size_t i : batch.decoded) {
    paths.push_back(plan_.catalog.entries()[i].uri);
    labels.push_back(plan_.catalog.entries()[i].label);
  }
  writer_->AddRows(paths, labels, {batch.features.data(), batch.features.size()});
  for (ErrorRecord& error : batch.errors) {
    // Counted with the shards an earlier run completed, as the user sees the run.
    const int64_t failed = plan_.resumed_failed + failed_++;
    if (failed < kErrorsLogged) {
      LogWarning(error.path + ": " + error.stage + " failed: " + error.reason);
    } else if (failed == kErrorsLogged) {
      LogWarning("more errors: see " + layout_.ErrorsFolder());
    }
    writer_->AddError(std::move(error));
  }
  ok_ += static_cast<int64_t>(batch.decoded.size());
  images_ += static_cast<int64_t>(batch.end - batch.begin);
  if (batch.end == shard.end) {
    writer_->Commit();
    writer_.reset();
    ++shards_;
    PauseIfTestAsks();
  }
  progress_.Update(plan_.resumed_images + images_, plan_.resumed_failed + failed_);
}

void ShardSink::PauseIfTestAsks() const {
  if (shards_ != pause_after_shards_) return;
  std::fprintf(stderr, "fruits: test pause after %lld shards (pid %d)\n",
               static_cast<long long>(shards_), static_cast<int>(::getpid()));
  std::fflush(stderr);
  // Polling, not pause(): a signal arriving between the check and the wait cannot be lost.
  while (!StopSignal::Requested()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace fruits::pipeline
