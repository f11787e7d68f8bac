// The tables a run writes, stated once: the columns of each output table and the footer keys
// every step reads or writes, plus a reader that yields a features part row group by row group.
//
// A step that reads features (PCA fit, transform, a classifier) opens parts with
// FeaturesPartReader and never repeats the schema or a key literal. The reader holds one row
// group in memory at a time. Not thread-safe; one reader per part and thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "parquet/reader.h"
#include "parquet/schema.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

// Footer keys (key-value metadata), as docs/outputs.md lists them.
namespace footer {
// Run facts, in every part a run writes.
inline constexpr char kVersion[] = "fruits.version";
inline constexpr char kModel[] = "fruits.model";
inline constexpr char kModelSha256[] = "fruits.model.sha256";
inline constexpr char kModelQuantized[] = "fruits.model.quantized";  // "int8 QDQ" or "no"
inline constexpr char kFeatureLayer[] = "fruits.feature_layer";
inline constexpr char kPreprocessing[] = "fruits.preprocessing";
// Shard facts, in features and errors parts; the digest is copied into every part derived from
// a features part, so resume can tell which inputs an output was made from.
inline constexpr char kShardId[] = "fruits.shard.id";
inline constexpr char kShardInputs[] = "fruits.shard.inputs";
inline constexpr char kShardDigest[] = "fruits.shard.digest";
inline constexpr char kShardErrors[] = "fruits.shard.errors";  // features parts only
inline constexpr char kFeatureDim[] = "fruits.feature_dim";    // features parts only
// Parts derived from a features part (PCA parts): which one.
inline constexpr char kFeaturesPart[] = "fruits.features.part";
// The PCA model and parts.
inline constexpr char kFeaturesFolder[] = "fruits.features";
inline constexpr char kFeaturesDigest[] = "fruits.features.digest";
inline constexpr char kPcaOptions[] = "fruits.pca.options";
inline constexpr char kPcaDigest[] = "fruits.pca.digest";
inline constexpr char kPcaK[] = "fruits.pca.k";
// Predictions parts: the classifier that made them.
inline constexpr char kClassifierDigest[] = "fruits.classifier.digest";
}  // namespace footer

// path: string, label: string, features: list<float>.
const parquet::Schema& FeaturesSchema();
// path: string, stage: string, reason: string.
const parquet::Schema& ErrorsSchema();
// path: string, label: string, pca: list<float>.
const parquet::Schema& PcaSchema();

// path: string, label: string, predicted: string, probability: float, top_labels: list<string>,
// top_probabilities: list<float>.
const parquet::Schema& PredictionsSchema();

// A part of one of the tables above, opened for reading. Throws Error "'PART' is not KIND" when
// its columns (names and types, in order) are not `schema`'s, e.g. KIND "an errors part (path,
// stage, reason)"; Error when it cannot be read.
parquet::ParquetReader OpenTablePart(storage::ObjectStore& store, const std::string& part,
                                     const parquet::Schema& schema, const std::string& kind);

// The file name of a part ("part-00003.parquet" of ".../features/part-00003.parquet").
std::string PartFileName(const std::string& uri);

// Reads a features part one row group at a time as (paths, labels, n x dim float matrix).
// Construction throws UsageError when the file is not a features part, Error when it cannot be
// read; Next() throws Error when a row's features have another length than the part's first.
class FeaturesPartReader {
 public:
  FeaturesPartReader(storage::ObjectStore& store, std::string part);

  const std::string& part() const { return part_; }
  int64_t num_rows() const { return reader_.num_rows(); }
  std::optional<std::string> FindMetadata(const std::string& key) const {
    return reader_.FindMetadata(key);
  }
  // The digest of the shard the part was written for ("" when the footer has none).
  std::string shard_digest() const { return FindMetadata(footer::kShardDigest).value_or(""); }

  // Moves to the next row group that holds rows; false after the last.
  bool Next();
  // The current row group. REQUIRES: Next() returned true.
  int64_t rows() const { return columns_[2].num_rows; }
  int64_t dim() const { return dim_; }
  const std::vector<std::string>& paths() const { return columns_[0].strings; }
  const std::vector<std::string>& labels() const { return columns_[1].strings; }
  // rows() x dim() floats, row-major.
  std::span<const float> features() const { return columns_[2].floats; }
  // Throws Error naming the image of the current row group's first row whose features hold NaN
  // or an infinity: `user` ("PCA", "the classifier") cannot use them.
  void CheckFinite(const std::string& user) const;

 private:
  std::string part_;
  parquet::ParquetReader reader_;
  int next_group_ = 0;
  int64_t dim_ = -1;  // of the first row; every row must have it
  std::vector<parquet::ColumnData> columns_;
};

}  // namespace fruits::pipeline
