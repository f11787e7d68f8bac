#include "pipeline/features_part.h"

#include "pca/moments.h"
#include "util/error.h"

namespace fruits::pipeline {

namespace {

bool HasColumns(const parquet::Schema& schema, const parquet::Schema& expected) {
  const auto& columns = schema.columns();
  if (columns.size() != expected.size()) return false;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name != expected.column(i).name || columns[i].type != expected.column(i).type) {
      return false;
    }
  }
  return true;
}

}  // namespace

const parquet::Schema& FeaturesSchema() {
  static const parquet::Schema schema({{"path", parquet::ColumnType::kString},
                                       {"label", parquet::ColumnType::kString},
                                       {"features", parquet::ColumnType::kFloatList}});
  return schema;
}

const parquet::Schema& ErrorsSchema() {
  static const parquet::Schema schema({{"path", parquet::ColumnType::kString},
                                       {"stage", parquet::ColumnType::kString},
                                       {"reason", parquet::ColumnType::kString}});
  return schema;
}

const parquet::Schema& PcaSchema() {
  static const parquet::Schema schema({{"path", parquet::ColumnType::kString},
                                       {"label", parquet::ColumnType::kString},
                                       {"pca", parquet::ColumnType::kFloatList}});
  return schema;
}

const parquet::Schema& PredictionsSchema() {
  static const parquet::Schema schema({{"path", parquet::ColumnType::kString},
                                       {"label", parquet::ColumnType::kString},
                                       {"predicted", parquet::ColumnType::kString},
                                       {"probability", parquet::ColumnType::kFloat},
                                       {"top_labels", parquet::ColumnType::kStringList},
                                       {"top_probabilities", parquet::ColumnType::kFloatList}});
  return schema;
}

parquet::ParquetReader OpenTablePart(storage::ObjectStore& store, const std::string& part,
                                     const parquet::Schema& schema, const std::string& kind) {
  parquet::ParquetReader reader(store.NewRandomAccessFile(part));
  if (!HasColumns(reader.schema(), schema)) {
    std::string message = "'";
    message.append(part).append("' is not ").append(kind);
    throw Error(message);
  }
  return reader;
}

std::string PartFileName(const std::string& uri) { return uri.substr(uri.rfind('/') + 1); }

FeaturesPartReader::FeaturesPartReader(storage::ObjectStore& store, std::string part)
    : part_(std::move(part)), reader_(store.NewRandomAccessFile(part_)) {
  if (!HasColumns(reader_.schema(), FeaturesSchema())) {
    throw UsageError("'" + part_ + "' is not a features part (path, label, features)");
  }
}

bool FeaturesPartReader::Next() {
  while (next_group_ < reader_.num_row_groups()) {
    reader_.ReadRowGroup(next_group_++, &columns_);
    const parquet::ColumnData& values = columns_[2];
    if (values.num_rows == 0) continue;
    if (dim_ < 0) dim_ = values.list_offsets[1] - values.list_offsets[0];
    for (int64_t row = 0; row < values.num_rows; ++row) {
      if (values.list_offsets[row + 1] - values.list_offsets[row] != dim_) {
        throw Error("'" + part_ + "': the features of '" + columns_[0].strings[row] +
                    "' have another length than the others");
      }
    }
    return true;
  }
  return false;
}

void FeaturesPartReader::CheckFinite(const std::string& user) const {
  const int64_t bad = pca::FirstNonFiniteRow(features().data(), rows(), dim());
  if (bad >= 0) {
    throw Error("the features of '" + paths()[bad] + "' (in " + part_ +
                ") hold NaN or infinity: " + user +
                " cannot use them; check the model and its preprocessing, or leave that "
                "image out");
  }
}

}  // namespace fruits::pipeline
