// The PCA steps' refusals: each names the file and what is wrong with it. Small parts are written
// here with ShardWriter or ParquetWriter; one process (LocalComm).

#include "pipeline/pca_steps.h"

#include <gtest/gtest.h>

#include "dist/local_comm.h"
#include "parquet/writer.h"
#include "pipeline/features_part.h"
#include "pipeline/output_layout.h"
#include "pipeline/shard_writer.h"
#include "storage/local_store.h"
#include "support/temp_dir.h"
#include "support/text_assertions.h"
#include "util/error.h"

namespace fruits::pipeline {
namespace {

using testing::Quoted;
using testing::TempDir;

// "<prefix><number>", built by appending: GCC 12 warns (falsely) on "literal" + std::string here.
std::string Numbered(std::string prefix, int64_t number) {
  prefix.append(std::to_string(number));
  return prefix;
}

// Shard `id` of `rows` rows of `dim` features (row r holds r + 1, r + 2, ...).
void WriteFeaturesPart(storage::ObjectStore& store, const OutputLayout& layout, int64_t id,
                       int64_t rows, int64_t dim) {
  ShardWriter writer(store, layout, {id, 0, static_cast<size_t>(rows)}, Numbered("d", id), dim, {});
  std::vector<std::string> paths, labels;
  std::vector<float> features;
  for (int64_t r = 0; r < rows; ++r) {
    paths.push_back(Numbered(Numbered("p", id) + "_", r) + ".jpg");
    labels.push_back(r % 2 == 0 ? "A" : "B");
    for (int64_t j = 0; j < dim; ++j) features.push_back(static_cast<float>((r + 1) * (j + 1 + r)));
  }
  writer.AddRows(paths, labels, features);
  writer.Commit();
}

// The message of the fruits::Error (of type E) that `fn` throws, or "" when it throws none.
template <typename E = Error, typename F>
std::string ErrorOf(F fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

class PcaSteps : public ::testing::Test {
 protected:
  FitResult Fit() {
    return FitPca(store_, comm_, layout_.FeaturesFolder(), layout_.PcaModelFolder(), {.k = 1},
                  false);
  }

  TempDir dir_;
  storage::LocalStore store_;
  dist::LocalComm comm_;
  OutputLayout layout_{dir_.File("out")};
};

TEST_F(PcaSteps, AFileThatIsNotAFeaturesPartIsRefused) {
  WriteFeaturesPart(store_, layout_, 0, 3, 2);
  const std::string other = layout_.FeaturesFolder() + "/part-00001.parquet";
  parquet::ParquetWriter writer(store_.NewWritableFile(other),
                                parquet::Schema({{"path", parquet::ColumnType::kString},
                                                 {"id", parquet::ColumnType::kInt64},
                                                 {"features", parquet::ColumnType::kFloatList}}),
                                {});
  writer.Close();
  EXPECT_EQ(ErrorOf<UsageError>([&] { Fit(); }),
            Quoted(other) + " is not a features part (path, label, features)");
}

TEST_F(PcaSteps, RowsOfAnotherLengthInAPartAreRefused) {
  const std::string part = layout_.FeaturesPart(0);
  parquet::ParquetWriter writer(store_.NewWritableFile(part), FeaturesSchema(), {});
  const std::vector<std::string> paths = {"a.jpg", "b.jpg"}, labels = {"A", "B"};
  const std::vector<float> values = {1, 2, 3, 4, 5};
  const std::vector<int64_t> offsets = {0, 2, 5};
  const parquet::ColumnValues columns[] = {parquet::ColumnValues::Strings(paths),
                                           parquet::ColumnValues::Strings(labels),
                                           parquet::ColumnValues::FloatLists(values, offsets)};
  writer.Write(columns);
  writer.Close();
  EXPECT_EQ(ErrorOf([&] { Fit(); }),
            Quoted(part) + ": the features of 'b.jpg' have another length than the others");
}

TEST_F(PcaSteps, PartsWithAnotherNumberOfFeaturesPerRowAreRefused) {
  WriteFeaturesPart(store_, layout_, 0, 3, 2);
  WriteFeaturesPart(store_, layout_, 1, 3, 3);
  EXPECT_EQ(ErrorOf([&] { Fit(); }),
            Quoted(layout_.FeaturesPart(1)) + " holds 3 features per row, the parts before it 2");
}

TEST_F(PcaSteps, FeaturesOfAnotherSizeThanTheModelAreRefused) {
  WriteFeaturesPart(store_, layout_, 0, 4, 2);
  const FitResult fit = Fit();
  const OutputLayout other(dir_.File("other"));
  WriteFeaturesPart(store_, other, 0, 2, 3);
  EXPECT_EQ(
      ErrorOf([&] {
        TransformPca(store_, comm_, other.FeaturesFolder(), fit.model, other.PcaFolder(), false);
      }),
      Quoted(other.FeaturesPart(0)) + " holds features of another size than the PCA model's 2");
}

TEST_F(PcaSteps, PartsWithoutRowsAreRefused) {
  WriteFeaturesPart(store_, layout_, 0, 0, 2);
  EXPECT_EQ(ErrorOf([&] { Fit(); }),
            "the features in " + Quoted(layout_.FeaturesFolder()) + " have no rows");
}

// The sections the steps return, merged into the manifest, give the documented "pca" fields.
TEST_F(PcaSteps, StepsReturnTheirManifestSections) {
  WriteFeaturesPart(store_, layout_, 0, 4, 2);
  WriteFeaturesPart(store_, layout_, 1, 3, 2);
  const FitResult fit = Fit();
  EXPECT_EQ(fit.manifest["pca"]["rows"], 7);
  EXPECT_EQ(fit.manifest["pca"]["k"], 1);
  EXPECT_EQ(fit.manifest["outputs"]["pca_model"], layout_.PcaModelFolder());
  const TransformResult first =
      TransformPca(store_, comm_, layout_.FeaturesFolder(), fit.model, layout_.PcaFolder(), true);
  EXPECT_EQ(first.rows, 7);
  EXPECT_EQ(first.manifest["pca"]["parts_written"], 2);
  const TransformResult again =
      TransformPca(store_, comm_, layout_.FeaturesFolder(), fit.model, layout_.PcaFolder(), true);
  EXPECT_EQ(again.manifest["pca"]["parts_resumed"], 2);
  EXPECT_EQ(again.manifest["outputs"]["pca"], layout_.PcaFolder());
}

}  // namespace
}  // namespace fruits::pipeline
