// Multinomial logistic regression (softmax, L2 on the weights, intercept not penalised): the
// fruit classifier on PCA coordinates, trained to scikit-learn's LogisticRegression() optimum.
//
// Fit() minimises scikit-learn's objective for LogisticRegression(C=c) with the lbfgs solver
// (scikit-learn 1.2):
//     objective(W, b) = sum_i -log softmax(W x_i + b)[y_i] + |W|^2 / (2 C)
// by L-BFGS on that objective divided by n (so the tolerance does not depend on the number of
// rows), from the fit on an eighth of the rows when there are 40,000 or more (the same
// objective estimated on a sample: the full fit starts near its optimum), preconditioned by the
// inverse second moment of each coordinate (PCA coordinates' scales
// span orders of magnitude), from zero or from a smaller model (warm start: its weights in the
// first columns). Rows are float32, read in place (a view, no copy); each chunk of rows costs two
// GEMMs (BLAS threads) and a softmax per row (oneTBB threads); the sums run in float64 in chunk
// order, so a fit is deterministic for a given BLAS thread count. Iterations run in float32
// (SGEMM, our exp) to a gradient of 1e-6, then in float64 (the rows widened chunk by
// chunk) to the tolerance. Memory: the rows, plus a chunk of rows and logits per call. An immutable
// SoftmaxRegression is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "classify/lbfgs.h"

namespace fruits::classify {

// The first `cols` columns of `rows` float32 rows stored `stride` floats apart (row-major): the
// first k PCA coordinates of rows projected to more.
struct RowsView {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t stride = 0;

  const float* Row(int64_t r) const { return data + r * stride; }
};

struct SoftmaxOptions {
  // Inverse of the L2 strength (scikit-learn's C). > 0.
  double c = 1.0;
  int max_iterations = 1000;
  // Converged when the largest component of the gradient of objective / n is at most this.
  // scikit-learn's `tol` bounds the gradient of the objective itself: its tol is this times n.
  // The default leaves the objective within ~1e-4 relative of the optimum (test accuracy the
  // converged one's); 1e-8 reaches it to ~1e-8, at about twice the iterations.
  double tolerance = 1e-5;
  // Threads for the per-row work (BLAS keeps its own); 0: all cores.
  int threads = 0;
};

struct SoftmaxFit;

class SoftmaxRegression {
 public:
  // weights: num_labels x dim, row-major; bias: num_labels. REQUIRES: sizes agree, num_labels
  // >= 2, dim >= 1 (checked: InternalError).
  SoftmaxRegression(int64_t num_labels, int64_t dim, std::vector<double> weights,
                    std::vector<double> bias);

  // Labels are indices in [0, num_labels). `start`: a fit with the same labels on fewer
  // columns, or null for zero. REQUIRES: labels.size() == x.rows >= 1, every label in range,
  // start's dim <= x.cols (checked: InternalError).
  static SoftmaxFit Fit(const RowsView& x, std::span<const int32_t> labels, int64_t num_labels,
                        const SoftmaxOptions& options, const SoftmaxRegression* start = nullptr);

  int64_t num_labels() const { return num_labels_; }
  int64_t dim() const { return dim_; }
  const std::vector<double>& weights() const { return weights_; }
  const std::vector<double>& bias() const { return bias_; }

  // out: x.rows x num_labels probabilities, row-major, in float64. REQUIRES: x.cols == dim()
  // (checked: InternalError).
  void Probabilities(const RowsView& x, double* out) const;
  // How many rows the most probable label gets right.
  int64_t CountCorrect(const RowsView& x, std::span<const int32_t> labels) const;

 private:
  // A fit on every kSampleStride-th row (the penalty scaled to the same weight per row), to start
  // the full fit near its optimum; none when the sample lacks a label.
  static std::optional<SoftmaxFit> FitOnSample(const RowsView& x, std::span<const int32_t> labels,
                                               int64_t num_labels, const SoftmaxOptions& options);

  int64_t num_labels_;
  int64_t dim_;
  std::vector<double> weights_;
  std::vector<double> bias_;
};

struct SoftmaxFit {
  SoftmaxRegression model;
  double objective = 0;     // scikit-learn's objective (above) at the model
  double gradient_max = 0;  // of objective / n, at the model
  int iterations = 0;
  LbfgsStop stop = LbfgsStop::kConverged;
};

}  // namespace fruits::classify
