// The PCA steps over the feature parts a run wrote: fit, then transform part by part.
//
// Fit reads every features part (row group by row group, never a whole table), accumulates one
// Moments per part and merges them in part order, so the model does not depend on how the parts
// were produced (threads, processes). Transform writes one PCA part per features part, named
// alike, each published atomically; with `resume`, a part already written by the same model for
// the same features is kept. A feature row holding NaN or an infinity ends the fit with an error
// naming its path. Under mpirun, every process calls these with the same arguments: parts go
// to whichever process asks first, rank 0 merges the per-part moments in part order, fits,
// saves, and the others load the model it saved (the output folder is shared).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "pca/pca_model.h"
#include "pipeline/for_each_part.h"
#include "pipeline/manifest.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

// Names a set of features parts: their shard digests and row counts (SHA-256, hex).
std::string FeaturesDigest(storage::ObjectStore& store, const std::vector<std::string>& parts);

// The moments of every row of `parts`, each part's computed by whichever process takes it and
// merged in part order on rank 0 (so they do not depend on how the work was spread). Collective.
// Throws Error naming the image when a row holds NaN or infinity, when parts disagree on the
// number of features per row, or when they hold no row.
struct MomentsResult {
  std::optional<pca::Moments> moments;  // on rank 0 only
  double seconds_moments = 0;
  double seconds_reduce = 0;  // sending the per-part moments to rank 0 and merging them
};
MomentsResult FeaturesMoments(storage::ObjectStore& store, dist::Communicator& comm,
                              const std::vector<std::string>& parts,
                              const std::string& features_folder);

struct FitResult {
  pca::PcaModel model;
  bool reused = false;  // an existing model fitted on the same features was loaded (resume)
  double seconds_moments = 0;
  double seconds_reduce = 0;  // sending the per-part moments to rank 0 and merging them
  double seconds_fit = 0;     // eigen-decomposition and saving
  // "pca" (rows, d_in, k, k_reason, variance_kept, whiten, model_reused), outputs (pca_model),
  // step_seconds (pca_moments, pca_reduce, pca_fit).
  ManifestSection manifest;
};

// Fits on the parts of `features_folder` and saves the model in `model_folder`. With `resume`,
// a model already there that was fitted on the same features with the same options is reused.
// Throws UsageError when a file is not a features part, Error when the parts disagree on the
// number of features per row or hold no row at all.
FitResult FitPca(storage::ObjectStore& store, dist::Communicator& comm,
                 const std::string& features_folder, const std::string& model_folder,
                 const pca::PcaOptions& options, bool resume);

struct TransformResult {
  int64_t rows = 0;
  int64_t parts_written = 0;
  int64_t parts_resumed = 0;
  double seconds = 0;
  // "pca" (parts_written, parts_resumed), outputs (pca), step_seconds (pca_transform).
  ManifestSection manifest;
};

// Writes `pca_folder`/part-NNNNN.parquet (PcaSchema) for every part of `features_folder`.
// Throws Error when a part's features have another size than the model's d_in.
TransformResult TransformPca(storage::ObjectStore& store, dist::Communicator& comm,
                             const std::string& features_folder, const pca::PcaModel& model,
                             const std::string& pca_folder, bool resume);

}  // namespace fruits::pipeline
