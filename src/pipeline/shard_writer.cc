#include "pipeline/shard_writer.h"

#include "parquet/reader.h"
#include "pipeline/features_part.h"
#include "util/error.h"

namespace fruits::pipeline {

namespace {

std::vector<parquet::KeyValue> WithShardFacts(std::vector<parquet::KeyValue> metadata,
                                              const Shard& shard, const std::string& digest) {
  metadata.push_back({footer::kShardId, std::to_string(shard.id)});
  metadata.push_back({footer::kShardInputs, std::to_string(shard.size())});
  metadata.push_back({footer::kShardDigest, digest});
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
      feature_dim_(feature_dim),
      metadata_(WithShardFacts(metadata, shard, digest_)) {
  parquet::WriterOptions options;
  options.metadata = metadata_;
  options.metadata.push_back({footer::kFeatureDim, std::to_string(feature_dim)});
  features_ = std::make_unique<parquet::ParquetWriter>(
      store_.NewWritableFile(layout_.FeaturesPart(shard_.id)), FeaturesSchema(), options);
}

ShardWriter::~ShardWriter() = default;

void ShardWriter::AddRows(const std::vector<std::string>& paths,
                          const std::vector<std::string>& labels, std::span<const float> features) {
  if (paths.size() != labels.size() ||
      features.size() != paths.size() * static_cast<size_t>(feature_dim_)) {
    throw Error("internal error: " + std::to_string(paths.size()) + " paths, " +
                std::to_string(labels.size()) + " labels and " + std::to_string(features.size()) +
                " floats are not rows of " + std::to_string(feature_dim_) + " features");
  }
  if (paths.empty()) return;
  const parquet::ColumnValues columns[] = {
      parquet::ColumnValues::Strings(paths), parquet::ColumnValues::Strings(labels),
      parquet::ColumnValues::FloatRows(features, feature_dim_)};
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
                                ErrorsSchema(), options);
  const parquet::ColumnValues columns[] = {parquet::ColumnValues::Strings(paths),
                                           parquet::ColumnValues::Strings(stages),
                                           parquet::ColumnValues::Strings(reasons)};
  if (!paths.empty()) errors.Write(columns);
  errors.Close();

  ShardCounts counts{features_->num_rows(), static_cast<int64_t>(paths.size())};
  features_->SetMetadata(footer::kShardErrors, std::to_string(counts.failed));
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
    if (features.FindMetadata(footer::kShardDigest) != digest ||
        errors.FindMetadata(footer::kShardDigest) != digest) {
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
