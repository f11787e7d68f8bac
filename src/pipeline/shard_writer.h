// The outputs of one shard: its features part and its errors part, published together.
//
// Rows stream into the features part's writer and error records accumulate in memory (a shard
// is bounded: --shard-size images); both are published on Commit(): the errors part first, then
// the features part, whose presence marks the shard complete (`--resume` checks it with
// FindCompletedShard). A writer destroyed without Commit() publishes nothing: an interrupted
// shard leaves no trace. Store failures throw fruits::Error. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "parquet/metadata.h"
#include "parquet/writer.h"
#include "pipeline/catalog.h"
#include "pipeline/output_layout.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

// One input that produced no feature row, and why.
struct ErrorRecord {
  std::string path;
  std::string stage;  // "read", "decode"
  std::string reason;
};

struct ShardCounts {
  int64_t ok = 0;
  int64_t failed = 0;
};

class ShardWriter {
 public:
  // `metadata`: run facts stored in both parts' footers (model, preprocessing, version).
  ShardWriter(storage::ObjectStore& store, const OutputLayout& layout, const Shard& shard,
              std::string digest, int64_t feature_dim,
              const std::vector<parquet::KeyValue>& metadata);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Appends rows; `features` holds paths.size() rows of feature_dim floats. Throws
  // fruits::Error (an internal error: the caller's bug) when the sizes do not say that.
  void AddRows(const std::vector<std::string>& paths, const std::vector<std::string>& labels,
               std::span<const float> features);
  void AddError(ErrorRecord error);
  // Publishes both parts. REQUIRES: every input of the shard is a row or an error record.
  ShardCounts Commit();

 private:
  storage::ObjectStore& store_;
  OutputLayout layout_;
  Shard shard_;
  std::string digest_;
  int64_t feature_dim_;
  std::vector<parquet::KeyValue> metadata_;
  std::unique_ptr<parquet::ParquetWriter> features_;
  std::vector<ErrorRecord> errors_;
};

// The counts of a shard a previous run completed for the same inputs (same digest), or nullopt
// when its parts are missing, unreadable or were written for other inputs.
std::optional<ShardCounts> FindCompletedShard(storage::ObjectStore& store,
                                              const OutputLayout& layout, const Shard& shard,
                                              const std::string& digest);

}  // namespace fruits::pipeline
