#include "pipeline/pca_steps.h"

#include <chrono>
#include <map>
#include <optional>

#include "parquet/reader.h"
#include "parquet/writer.h"
#include "util/byte_codec.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/version.h"

namespace fruits::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

constexpr char kFeaturesDigestKey[] = "fruits.features.digest";
constexpr char kOptionsKey[] = "fruits.pca.options";
constexpr char kPcaDigestKey[] = "fruits.pca.digest";
constexpr char kShardDigestKey[] = "fruits.shard.digest";

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string FileName(const std::string& uri) { return uri.substr(uri.rfind('/') + 1); }

// The features column of a part; refuses files that are not features parts.
int FeaturesColumn(const parquet::ParquetReader& reader, const std::string& part) {
  const auto& columns = reader.schema().columns();
  if (columns.size() != 3 || columns[0].name != "path" || columns[2].name != "features" ||
      columns[2].type != parquet::ColumnType::kFloatList) {
    throw UsageError("'" + part + "' is not a features part (path, label, features)");
  }
  return 2;
}

std::string OptionsText(const pca::PcaOptions& options) {
  return "k=" + std::to_string(options.k) + " variance=" + std::to_string(options.variance) +
         " whiten=" + (options.whiten ? "1" : "0");
}

// One part's moments, or nullopt for a part without rows. Checks that every row is finite,
// naming the first that is not.
std::optional<pca::Moments> PartMoments(storage::ObjectStore& store, const std::string& part) {
  parquet::ParquetReader reader(store.NewRandomAccessFile(part));
  const int features = FeaturesColumn(reader, part);
  std::optional<pca::Moments> moments;
  std::vector<parquet::ColumnData> columns;
  for (int group = 0; group < reader.num_row_groups(); ++group) {
    reader.ReadRowGroup(group, &columns);
    const parquet::ColumnData& values = columns[features];
    if (values.num_rows == 0) continue;
    const int64_t dim = values.list_offsets[1] - values.list_offsets[0];
    if (!moments) moments.emplace(dim);
    for (int64_t row = 0; row < values.num_rows; ++row) {
      if (values.list_offsets[row + 1] - values.list_offsets[row] != moments->dim()) {
        throw Error("'" + part + "': the features of '" + columns[0].strings[row] +
                    "' have another length than the others");
      }
    }
    int64_t bad = pca::FirstNonFiniteRow(values.floats.data(), values.num_rows, dim);
    if (bad >= 0) {
      throw Error("the features of '" + columns[0].strings[bad] + "' (in " + part +
                  ") hold NaN or infinity: PCA cannot use them; check the model and its "
                  "preprocessing, or leave that image out");
    }
    moments->Add(values.floats.data(), values.num_rows);
  }
  return moments;
}

}  // namespace

std::vector<std::string> FeatureParts(storage::ObjectStore& store, const std::string& folder) {
  std::vector<std::string> parts;
  if (store.Exists(folder)) {
    for (const auto& object : store.List(folder)) {
      const std::string name = FileName(object.uri);
      if (name.starts_with("part-") && name.ends_with(".parquet")) parts.push_back(object.uri);
    }
  }
  if (parts.empty()) {
    throw UsageError("no features parts (part-*.parquet) in '" + folder +
                     "': give the features folder of a run (OUT/features)");
  }
  return parts;
}

std::string FeaturesDigest(storage::ObjectStore& store, const std::vector<std::string>& parts) {
  Sha256 hash;
  for (const auto& part : parts) {
    parquet::ParquetReader reader(store.NewRandomAccessFile(part));
    hash.Update(FileName(part) + ":" + reader.FindMetadata(kShardDigestKey).value_or("") + ":" +
                std::to_string(reader.num_rows()) + ";");
  }
  return hash.HexDigest();
}

std::string PcaModelDigest(const pca::PcaModel& model) {
  Sha256 hash;
  auto add = [&hash](const std::vector<double>& values) {
    hash.Update({reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double)});
  };
  add(model.mean());
  add(model.components());
  if (model.whiten()) add(model.explained_variance());
  hash.Update(model.whiten() ? "whiten" : "plain");
  return hash.HexDigest();
}

namespace {

// Rank 0 lists the parts; every rank gets the same list.
std::vector<std::string> SharedParts(storage::ObjectStore& store, dist::Communicator& comm,
                                     const std::string& folder) {
  std::string joined;
  if (comm.is_root()) {
    for (const auto& part : FeatureParts(store, folder)) joined += part + '\n';
  }
  comm.Broadcast(joined);
  std::vector<std::string> parts;
  for (size_t at = 0, end; (end = joined.find('\n', at)) != std::string::npos; at = end + 1) {
    parts.push_back(joined.substr(at, end - at));
  }
  return parts;
}

// This rank's moments, one per part it took, as (part index, serialised moments) records.
std::string MomentsOfMyParts(storage::ObjectStore& store, dist::Communicator& comm,
                             const std::vector<std::string>& parts) {
  std::string records;
  auto tasks = comm.NewTaskQueue(static_cast<int64_t>(parts.size()));
  while (std::optional<int64_t> task = tasks->Next()) {
    if (std::optional<pca::Moments> moments = PartMoments(store, parts[*task])) {
      AppendU64(records, static_cast<uint64_t>(*task));
      AppendBytes(records, moments->Serialize());
    }
  }
  tasks->Finish();
  return records;
}

// Rank 0: every part's moments merged in part order, so the result does not depend on which
// process read which part.
pca::Moments MergeInPartOrder(const std::vector<std::string>& gathered,
                              const std::vector<std::string>& parts,
                              const std::string& features_folder) {
  std::map<uint64_t, pca::Moments> by_part;
  for (const std::string& records : gathered) {
    ByteReader reader(records, "a moments message");
    while (!reader.done()) {
      const uint64_t part = reader.U64();
      by_part.emplace(part, pca::Moments::Deserialize(reader.Bytes()));
    }
  }
  std::optional<pca::Moments> total;
  for (auto& [part, moments] : by_part) {
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

}  // namespace

FitResult FitPca(storage::ObjectStore& store, dist::Communicator& comm,
                 const std::string& features_folder, const std::string& model_folder,
                 const pca::PcaOptions& options, bool resume) {
  const std::vector<std::string> parts = SharedParts(store, comm, features_folder);
  std::string features_digest;
  std::string reuse = "0";
  if (comm.is_root()) {
    features_digest = FeaturesDigest(store, parts);
    if (resume && store.Exists(model_folder + "/model.json")) {
      pca::PcaModel existing = pca::PcaModel::Load(store, model_folder);
      if (existing.Metadata(kFeaturesDigestKey) == features_digest &&
          existing.Metadata(kOptionsKey) == OptionsText(options)) {
        reuse = "1";
      }
    }
  }
  comm.Broadcast(reuse);
  if (reuse == "1") {
    LogInfo("resuming: the PCA model in '" + model_folder + "' was fitted on these features");
    return {pca::PcaModel::Load(store, model_folder), true, 0, 0, 0};
  }

  auto start = Clock::now();
  const std::string mine = MomentsOfMyParts(store, comm, parts);
  const double seconds_moments = SecondsSince(start);
  start = Clock::now();
  const std::vector<std::string> gathered = comm.Gather(mine);
  std::optional<pca::Moments> total;
  if (comm.is_root()) total = MergeInPartOrder(gathered, parts, features_folder);
  const double seconds_reduce = SecondsSince(start);

  start = Clock::now();
  std::optional<pca::PcaModel> model;
  if (comm.is_root()) {
    model = pca::PcaModel::Fit(*total, options);
    parquet::ParquetReader first(store.NewRandomAccessFile(parts.front()));
    model->Save(
        store, model_folder,
        {{"fruits.version", kVersion},
         {"fruits.features", features_folder},
         {kFeaturesDigestKey, features_digest},
         {kOptionsKey, OptionsText(options)},
         {"fruits.model.sha256", first.FindMetadata("fruits.model.sha256").value_or("")},
         {"fruits.feature_layer", first.FindMetadata("fruits.feature_layer").value_or("")}});
  }
  // The other processes read the model rank 0 saved in the shared output folder.
  comm.Barrier();
  if (!comm.is_root()) model = pca::PcaModel::Load(store, model_folder);
  return {std::move(*model), false, seconds_moments, seconds_reduce, SecondsSince(start)};
}

TransformResult TransformPca(storage::ObjectStore& store, dist::Communicator& comm,
                             const std::string& features_folder, const pca::PcaModel& model,
                             const std::string& pca_folder, bool resume) {
  const auto start = Clock::now();
  const std::string model_digest = PcaModelDigest(model);
  TransformResult result;
  std::vector<parquet::ColumnData> columns;
  std::vector<float> projected;
  const std::vector<std::string> parts = SharedParts(store, comm, features_folder);
  auto tasks = comm.NewTaskQueue(static_cast<int64_t>(parts.size()));
  while (std::optional<int64_t> task = tasks->Next()) {
    const std::string& part = parts[*task];
    parquet::ParquetReader reader(store.NewRandomAccessFile(part));
    const int features = FeaturesColumn(reader, part);
    const std::string shard_digest = reader.FindMetadata(kShardDigestKey).value_or("");
    const std::string target = pca_folder + "/" + FileName(part);
    if (resume && store.Exists(target)) {
      parquet::ParquetReader done(store.NewRandomAccessFile(target));
      if (done.FindMetadata(kPcaDigestKey) == model_digest &&
          done.FindMetadata(kShardDigestKey) == shard_digest &&
          done.num_rows() == reader.num_rows()) {
        ++result.parts_resumed;
        result.rows += done.num_rows();
        continue;
      }
    }
    parquet::WriterOptions options;
    options.metadata = {{"fruits.version", kVersion},
                        {kPcaDigestKey, model_digest},
                        {kShardDigestKey, shard_digest},
                        {"fruits.pca.k", std::to_string(model.d_out())},
                        {"fruits.features.part", part}};
    parquet::ParquetWriter writer(store.NewWritableFile(target),
                                  parquet::Schema({{"path", parquet::ColumnType::kString},
                                                   {"label", parquet::ColumnType::kString},
                                                   {"pca", parquet::ColumnType::kFloatList}}),
                                  options);
    for (int group = 0; group < reader.num_row_groups(); ++group) {
      reader.ReadRowGroup(group, &columns);
      const parquet::ColumnData& values = columns[features];
      if (values.num_rows == 0) continue;
      if (values.floats.size() != static_cast<size_t>(values.num_rows * model.d_in())) {
        throw Error("'" + part + "' holds features of another size than the PCA model's " +
                    std::to_string(model.d_in()));
      }
      projected.resize(static_cast<size_t>(values.num_rows * model.d_out()));
      model.Apply(values.floats.data(), values.num_rows, projected.data());
      const parquet::ColumnValues out[] = {
          parquet::ColumnValues::Strings(columns[0].strings),
          parquet::ColumnValues::Strings(columns[1].strings),
          parquet::ColumnValues::FloatRows(projected, model.d_out())};
      writer.Write(out);
    }
    writer.Close();
    ++result.parts_written;
    result.rows += reader.num_rows();
  }
  tasks->Finish();
  std::vector<double> totals = {static_cast<double>(result.rows),
                                static_cast<double>(result.parts_written),
                                static_cast<double>(result.parts_resumed)};
  comm.AllReduceSum(totals);
  result.rows = static_cast<int64_t>(totals[0]);
  result.parts_written = static_cast<int64_t>(totals[1]);
  result.parts_resumed = static_cast<int64_t>(totals[2]);
  result.seconds = SecondsSince(start);
  return result;
}

}  // namespace fruits::pipeline
