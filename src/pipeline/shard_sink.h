// The write stage of an extraction: batches into ShardWriters, one shard at a time, published
// when a shard's last batch is in; error records logged (the first few) and stored; progress.
//
// A stop request (Ctrl-C) keeps the shards already published, discards the one in progress, and
// opens no new shard: batches of shards not yet started are dropped. Write() is called by the
// batch stages' serial in-order stage, one batch at a time; the counts are read after the run.
//
// Test hook (tests/integration only, never set in production): with the environment variable
// FRUITS_TEST_PAUSE_AFTER_SHARDS=N, the process, right after publishing its N-th shard, prints
// "fruits: test pause after N shards (pid P)" to stderr and waits until it is killed or a stop
// is requested, so a test can kill or interrupt it at a known point. Read once, at construction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/batch_stages.h"
#include "pipeline/catalog.h"
#include "pipeline/output_layout.h"
#include "pipeline/shard_writer.h"
#include "pipeline/work_plan.h"
#include "storage/object_store.h"
#include "util/progress.h"

namespace fruits::pipeline {

class ShardSink : public BatchSink {
 public:
  // `footer_facts`: run facts for both parts' footers. All references must outlive the sink.
  ShardSink(storage::ObjectStore& store, const OutputLayout& layout, const WorkPlan& plan,
            int64_t feature_dim, const std::vector<parquet::KeyValue>& footer_facts,
            StageClocks& clocks, Progress& progress);
  ~ShardSink() override;

  void Write(Batch& batch) override;
  // Discards the shard in progress, if any (after a stop request).
  void DiscardPartialShard() { writer_.reset(); }

  int64_t ok() const { return ok_; }          // rows written by this process
  int64_t failed() const { return failed_; }  // error records written by this process
  int64_t images() const { return images_; }  // inputs this process handled
  int64_t shards() const { return shards_; }  // shards this process published

 private:
  void PauseIfTestAsks() const;

  storage::ObjectStore& store_;
  const OutputLayout& layout_;
  const WorkPlan& plan_;
  const int64_t feature_dim_;
  const std::vector<parquet::KeyValue>& footer_facts_;
  StageClocks& clocks_;
  Progress& progress_;
  std::unique_ptr<ShardWriter> writer_;
  int64_t ok_ = 0;
  int64_t failed_ = 0;
  int64_t images_ = 0;
  int64_t shards_ = 0;
  int64_t pause_after_shards_ = 0;  // the test hook; 0: off
};

}  // namespace fruits::pipeline
