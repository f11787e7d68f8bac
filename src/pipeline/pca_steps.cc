#include "pipeline/pca_steps.h"

#include <chrono>
#include <optional>

#include "parquet/reader.h"
#include "parquet/writer.h"
#include "pipeline/features_part.h"
#include "util/error.h"
#include "util/log.h"
#include "util/seconds_since.h"
#include "util/sha256.h"
#include "util/version.h"

namespace fruits::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

std::string OptionsText(const pca::PcaOptions& options) {
  return "k=" + std::to_string(options.k) + " variance=" + std::to_string(options.variance) +
         " whiten=" + (options.whiten ? "1" : "0");
}

// One part's moments, or nullopt for a part without rows. Checks that every row is finite,
// naming the first that is not.
std::optional<pca::Moments> PartMoments(FeaturesPartReader& part) {
  std::optional<pca::Moments> moments;
  while (part.Next()) {
    if (!moments) moments.emplace(part.dim());
    part.CheckFinite("PCA");
    moments->Add(part.features().data(), part.rows());
  }
  return moments;
}

// Rank 0: every part's moments merged in part order, so the result does not depend on which
// process read which part.
pca::Moments MergeInPartOrder(const std::vector<std::string>& gathered,
                              const std::vector<std::string>& parts,
                              const std::string& features_folder) {
  std::optional<pca::Moments> total;
  for (const auto& [part, bytes] : PartResultsInOrder(gathered)) {
    pca::Moments moments = pca::Moments::Deserialize(bytes);
    if (!total) {
      total = std::move(moments);
    } else if (moments.dim() != total->dim()) {
      throw Error("'" + parts[part] + "' holds " + std::to_string(moments.dim()) +
                  " features per row, the parts before it " + std::to_string(total->dim()));
    } else {
      total->Merge(moments);
    }
  }
  if (!total) throw Error("the features in '" + features_folder + "' have no rows");
  return std::move(*total);
}

ManifestSection FitManifest(const FitResult& fit, const std::string& model_folder) {
  const pca::PcaModel& model = fit.model;
  ManifestSection m;
  m["pca"] = {{"rows", model.n()},
              {"d_in", model.d_in()},
              {"k", model.d_out()},
              {"k_reason", model.k_reason()},
              {"variance_kept", RoundTo(model.VarianceKept(), 6)},
              {"whiten", model.whiten()},
              {"model_reused", fit.reused}};
  m["outputs"] = {{"pca_model", model_folder}};
  m["step_seconds"] = {{"pca_moments", RoundTo(fit.seconds_moments, 3)},
                       {"pca_reduce", RoundTo(fit.seconds_reduce, 3)},
                       {"pca_fit", RoundTo(fit.seconds_fit, 3)}};
  return m;
}

}  // namespace

std::string FeaturesDigest(storage::ObjectStore& store, const std::vector<std::string>& parts) {
  Sha256 hash;
  for (const auto& part : parts) {
    parquet::ParquetReader reader(store.NewRandomAccessFile(part));
    hash.Update(PartFileName(part) + ":" + reader.FindMetadata(footer::kShardDigest).value_or("") +
                ":" + std::to_string(reader.num_rows()) + ";");
  }
  return hash.HexDigest();
}

MomentsResult FeaturesMoments(storage::ObjectStore& store, dist::Communicator& comm,
                              const std::vector<std::string>& parts,
                              const std::string& features_folder) {
  // This rank's moments, one per part it took, as (part index, serialised moments) records.
  auto start = Clock::now();
  std::string mine;
  ForEachPart(store, comm, parts, {}, [&mine](PartTask& task) {
    if (std::optional<pca::Moments> moments = PartMoments(task.input)) {
      AppendPartResult(mine, task.index, moments->Serialize());
    }
  });
  MomentsResult result;
  result.seconds_moments = SecondsSince(start);
  start = Clock::now();
  const std::vector<std::string> gathered = comm.Gather(mine);
  if (comm.is_root()) result.moments = MergeInPartOrder(gathered, parts, features_folder);
  result.seconds_reduce = SecondsSince(start);
  return result;
}

FitResult FitPca(storage::ObjectStore& store, dist::Communicator& comm,
                 const std::string& features_folder, const std::string& model_folder,
                 const pca::PcaOptions& options, bool resume) {
  const std::vector<std::string> parts = SharedFeatureParts(store, comm, features_folder);
  std::string features_digest;
  std::string reuse = "0";
  if (comm.is_root()) {
    features_digest = FeaturesDigest(store, parts);
    if (resume && store.Exists(model_folder + "/model.json")) {
      pca::PcaModel existing = pca::PcaModel::Load(store, model_folder);
      if (existing.Metadata(footer::kFeaturesDigest) == features_digest &&
          existing.Metadata(footer::kPcaOptions) == OptionsText(options)) {
        reuse = "1";
      }
    }
  }
  comm.Broadcast(reuse);
  if (reuse == "1") {
    LogInfo("resuming: the PCA model in '" + model_folder + "' was fitted on these features");
    FitResult fit{pca::PcaModel::Load(store, model_folder), true, 0, 0, 0, {}};
    fit.manifest = FitManifest(fit, model_folder);
    return fit;
  }

  MomentsResult moments = FeaturesMoments(store, comm, parts, features_folder);
  const auto start = Clock::now();
  std::optional<pca::PcaModel> model;
  if (comm.is_root()) {
    model = pca::PcaModel::Fit(*moments.moments, options);
    parquet::ParquetReader first(store.NewRandomAccessFile(parts.front()));
    model->Save(
        store, model_folder,
        {{footer::kVersion, kVersion},
         {footer::kFeaturesFolder, features_folder},
         {footer::kFeaturesDigest, features_digest},
         {footer::kPcaOptions, OptionsText(options)},
         {footer::kModelSha256, first.FindMetadata(footer::kModelSha256).value_or("")},
         {footer::kModelQuantized, first.FindMetadata(footer::kModelQuantized).value_or("")},
         {footer::kFeatureLayer, first.FindMetadata(footer::kFeatureLayer).value_or("")}});
  }
  // The other processes read the model rank 0 saved in the shared output folder.
  comm.Barrier();
  if (!comm.is_root()) model = pca::PcaModel::Load(store, model_folder);
  FitResult fit{std::move(*model),   false, moments.seconds_moments, moments.seconds_reduce,
                SecondsSince(start), {}};
  fit.manifest = FitManifest(fit, model_folder);
  return fit;
}

TransformResult TransformPca(storage::ObjectStore& store, dist::Communicator& comm,
                             const std::string& features_folder, const pca::PcaModel& model,
                             const std::string& pca_folder, bool resume) {
  const auto start = Clock::now();
  const std::vector<std::string> parts = SharedFeatureParts(store, comm, features_folder);
  const PartOutputs outputs{
      pca_folder,
      {{footer::kPcaDigest, model.Digest()}, {footer::kPcaK, std::to_string(model.d_out())}},
      resume};
  std::vector<float> projected;
  const PartTotals totals = ForEachPart(store, comm, parts, outputs, [&](PartTask& task) {
    parquet::WriterOptions options;
    options.metadata = task.metadata;
    parquet::ParquetWriter writer(store.NewWritableFile(task.output), PcaSchema(), options);
    FeaturesPartReader& part = task.input;
    while (part.Next()) {
      if (part.dim() != model.d_in()) {
        throw Error("'" + part.part() + "' holds features of another size than the PCA model's " +
                    std::to_string(model.d_in()));
      }
      projected.resize(static_cast<size_t>(part.rows() * model.d_out()));
      model.Apply(part.features().data(), part.rows(), projected.data());
      const parquet::ColumnValues out[] = {
          parquet::ColumnValues::Strings(part.paths()),
          parquet::ColumnValues::Strings(part.labels()),
          parquet::ColumnValues::FloatRows(projected, model.d_out())};
      writer.Write(out);
    }
    writer.Close();
  });
  TransformResult result{
      totals.rows, totals.parts_written, totals.parts_resumed, SecondsSince(start), {}};
  result.manifest["pca"] = {{"parts_written", result.parts_written},
                            {"parts_resumed", result.parts_resumed}};
  result.manifest["outputs"] = {{"pca", pca_folder}};
  result.manifest["step_seconds"] = {{"pca_transform", RoundTo(result.seconds, 3)}};
  return result;
}

}  // namespace fruits::pipeline
