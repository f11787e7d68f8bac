#include "pipeline/shard_writer.h"

#include "parquet/reader.h"
#include "util/error.h"

namespace fruits::pipeline {

namespace {

constexpr char kDigestKey[] = "fruits.shard.digest";
constexpr char kShardKey[] = "fruits.shard.id";
constexpr char kInputsKey[] = "fruits.shard.inputs";
constexpr char kErrorsKey[] = "fruits.shard.errors";

std::vector<parquet::KeyValue> WithShardFacts(std::vector<parquet::KeyValue> metadata,
                                              const Shard& shard, const std::string& digest) {
  metadata.push_back({kShardKey, std::to_string(shard.id)});
  metadata.push_back({kInputsKey, std::to_string(shard.size())});
  metadata.push_back({kDigestKey, digest});
  return metadata;
}

}  // namespace

ShardWriter::ShardWriter(storage::ObjectStore& store, const OutputLayout& layout,
                         const Shard& shard, std::string digest, int64_t feature_dim,
                         const std::vector<parquet::KeyValue>& metadata)
    : store_(store),
      layout_(layout),
      shard_(shard),
      digest_(std::move(digest)),
      metadata_(WithShardFacts(metadata, shard, digest_)) {
  parquet::WriterOptions options;
  options.metadata = metadata_;
  options.metadata.push_back({"fruits.feature_dim", std::to_string(feature_dim)});
  features_ = std::make_unique<parquet::ParquetWriter>(
      store_.NewWritableFile(layout_.FeaturesPart(shard_.id)),
      parquet::Schema({{"path", parquet::ColumnType::kString},
                       {"label", parquet::ColumnType::kString},
                       {"features", parquet::ColumnType::kFloatList}}),
      options);
}

ShardWriter::~ShardWriter() = default;

void ShardWriter::AddRows(const std::vector<std::string>& paths,
                          const std::vector<std::string>& labels, std::span<const float> features) {
  if (paths.empty()) return;
  const int64_t width = static_cast<int64_t>(features.size() / paths.size());
  const parquet::ColumnValues columns[] = {parquet::ColumnValues::Strings(paths),
                                           parquet::ColumnValues::Strings(labels),
                                           parquet::ColumnValues::FloatRows(features, width)};
  features_->Write(columns);
}

void ShardWriter::AddError(ErrorRecord error) { errors_.push_back(std::move(error)); }

ShardCounts ShardWriter::Commit() {
  std::vector<std::string> paths, stages, reasons;
  for (auto& error : errors_) {
    paths.push_back(std::move(error.path));
    stages.push_back(std::move(error.stage));
    reasons.push_back(std::move(error.reason));
  }
  parquet::WriterOptions options;
  options.metadata = metadata_;
  parquet::ParquetWriter errors(store_.NewWritableFile(layout_.ErrorsPart(shard_.id)),
                                parquet::Schema({{"path", parquet::ColumnType::kString},
                                                 {"stage", parquet::ColumnType::kString},
                                                 {"reason", parquet::ColumnType::kString}}),
                                options);
  const parquet::ColumnValues columns[] = {parquet::ColumnValues::Strings(paths),
                                           parquet::ColumnValues::Strings(stages),
                                           parquet::ColumnValues::Strings(reasons)};
  if (!paths.empty()) errors.Write(columns);
  errors.Close();

  ShardCounts counts{features_->num_rows(), static_cast<int64_t>(paths.size())};
  features_->SetMetadata(kErrorsKey, std::to_string(counts.failed));
  features_->Close();
  return counts;
}

std::optional<ShardCounts> FindCompletedShard(storage::ObjectStore& store,
                                              const OutputLayout& layout, const Shard& shard,
                                              const std::string& digest) {
  const std::string features_part = layout.FeaturesPart(shard.id);
  if (!store.Exists(features_part) || !store.Exists(layout.ErrorsPart(shard.id))) {
    return std::nullopt;
  }
  try {
    parquet::ParquetReader features(store.NewRandomAccessFile(features_part));
    parquet::ParquetReader errors(store.NewRandomAccessFile(layout.ErrorsPart(shard.id)));
    if (features.FindMetadata(kDigestKey) != digest || errors.FindMetadata(kDigestKey) != digest) {
      return std::nullopt;
    }
    ShardCounts counts{features.num_rows(), errors.num_rows()};
    if (static_cast<size_t>(counts.ok + counts.failed) != shard.size()) return std::nullopt;
    return counts;
  } catch (const Error&) {
    return std::nullopt;  // unreadable: the shard is redone
  }
}

}  // namespace fruits::pipeline
