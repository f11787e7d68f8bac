// An exact PCA fitted from Moments: centring, projection, and the files numpy reads.
//
// Shaped like FAISS's VectorTransform: d_in() floats in, d_out() floats out, Apply() on a
// row-major n x d_in matrix. Fit() eigen-decomposes the sample covariance (LAPACKE dsyevd);
// components are sorted by decreasing variance and given a deterministic sign (the coordinate
// of largest magnitude positive), so two fits of the same data agree. k is fixed (`k`) or the
// smallest reaching a fraction of the variance (`variance`); it is capped, with a warning, at the
// rank the data can have (d, n - 1) and at the covariance's numerical rank (eigenvalues above
// largest * d * epsilon, numpy.linalg.matrix_rank's tolerance), so no kept component is rounding
// noise. Transform centres the data, as scikit-learn does (Spark ML's PCA does not). Immutable
// once built: Apply() is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pca/moments.h"
#include "storage/object_store.h"

namespace fruits::pca {

struct PcaOptions {
  // Components to keep; 0: use `variance`.
  int64_t k = 0;
  // Keep the smallest k whose explained variance ratio reaches this (0 < variance <= 1).
  double variance = 0;
  // Scale each component to unit variance.
  bool whiten = false;
  // Where a fixed k came from, for k_reason: "k = 70 (--k)".
  std::string k_origin = "--k";
};

class PcaModel {
 public:
  // Throws UsageError for options that choose no k (neither or both of k and variance, k < 0,
  // variance outside (0, 1]), Error when moments hold fewer than 2 rows or rows all equal.
  static PcaModel Fit(const Moments& moments, const PcaOptions& options);

  int64_t d_in() const { return static_cast<int64_t>(mean_.size()); }
  int64_t d_out() const { return k_; }
  int64_t n() const { return n_; }
  bool whiten() const { return whiten_; }
  const std::vector<double>& mean() const { return mean_; }
  // k x d_in, row-major: component i is row i.
  const std::vector<double>& components() const { return components_; }
  // All d_in eigenvalues of the covariance (the variance along each component), decreasing.
  const std::vector<double>& explained_variance() const { return explained_variance_; }
  std::vector<double> ExplainedVarianceRatio() const;
  // The fraction of the variance the k kept components hold.
  double VarianceKept() const;
  // Why k is what it is, for the summary: "k = 70 (--k)", "k = 41, the smallest keeping 95.0% of
  // the variance (--variance 0.95)", "k = 39 (--k 70, capped: 40 rows give at most 39
  // components)".
  const std::string& k_reason() const { return k_reason_; }

  // The same model keeping its first k components, with `k_reason` saying why: what a classifier
  // keeps after choosing k among the components of one fit. REQUIRES: 1 <= k <= d_out()
  // (checked: InternalError).
  PcaModel Truncated(int64_t k, std::string k_reason) const;

  // out (n x d_out) = (in (n x d_in) - mean) * components^T [/ sqrt(variance) if whiten].
  void Apply(const float* in, int64_t n, float* out) const;

  // Writes folder/{mean,components,explained_variance,explained_variance_ratio}.npy and
  // folder/model.json (n, d_in, k, whiten, variance kept, `metadata`), each file atomically,
  // model.json last: a folder holding it holds a whole model.
  void Save(storage::ObjectStore& store, const std::string& folder,
            const std::vector<std::pair<std::string, std::string>>& metadata) const;
  // Throws UsageError when the folder holds no model, Error when its files disagree.
  static PcaModel Load(storage::ObjectStore& store, const std::string& folder);
  // Names the model by its mean, components and whitening (SHA-256, hex): outputs made with it
  // store this, and resume compares it.
  std::string Digest() const;
  // A metadata value Save() stored, or "".
  std::string Metadata(const std::string& key) const;

 private:
  int64_t n_ = 0;
  int64_t k_ = 0;
  bool whiten_ = false;
  std::string k_reason_;
  std::vector<double> mean_;
  std::vector<double> components_;
  std::vector<double> explained_variance_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

}  // namespace fruits::pca
