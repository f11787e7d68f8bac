// The first and second moments of a set of d-dimensional rows, mergeable: what PCA is fitted from.
//
// Count, mean and scatter matrix (the sum over rows of (x - mean)(x - mean)^T) in float64.
// Add() takes a batch of float32 rows, centres it on the batch mean and accumulates its scatter
// with one level-3 BLAS call (dsyrk), then folds the batch in with the pairwise update of Chan,
// Golub and LeVeque; Merge() folds in another Moments the same way. So per-thread, per-shard and
// per-process partials combine to the same result (to rounding), whatever the split, and a large
// common offset (features around 1e4) loses no precision. Large batches are centred in chunks of
// at most 32 MiB of float64. Serialize() gives bytes that Deserialize() restores exactly (for MPI
// and for resume): a versioned little-endian format. Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fruits::pca {

class Moments {
 public:
  // REQUIRES: dim >= 1 (checked: InternalError).
  explicit Moments(int64_t dim);

  // Adds n rows of dim() floats, row-major. REQUIRES: every value finite (callers check, to name
  // the offending input).
  void Add(const float* rows, int64_t n);
  // REQUIRES: other.dim() == dim() (checked: InternalError).
  void Merge(const Moments& other);

  int64_t dim() const { return dim_; }
  int64_t count() const { return count_; }
  const std::vector<double>& mean() const { return mean_; }
  // The scatter matrix, dim x dim row-major, symmetric (both triangles filled).
  std::vector<double> Scatter() const;
  // Scatter / (count - 1): the sample covariance, as scikit-learn's PCA uses.
  // REQUIRES: count >= 2 (checked: InternalError).
  std::vector<double> Covariance() const;

  std::string Serialize() const;
  // Throws fruits::Error when the bytes are not a serialised Moments.
  static Moments Deserialize(std::string_view bytes);

 private:
  int64_t dim_;
  int64_t count_ = 0;
  std::vector<double> mean_;
  // dim x dim row-major; only the upper triangle (column >= row) is kept up to date, the one
  // dsyrk fills.
  std::vector<double> scatter_;
};

// The index of the first row holding NaN or an infinity, or -1.
int64_t FirstNonFiniteRow(const float* rows, int64_t n, int64_t dim);

}  // namespace fruits::pca
