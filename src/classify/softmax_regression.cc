#include "classify/softmax_regression.h"

#include <cblas.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <type_traits>

#include "classify/fast_exp.h"
#include "util/error.h"

namespace fruits::classify {

namespace {

// Rows per GEMM: large enough for BLAS to use every core, small enough that a chunk's logits
// (rows x labels floats) stay a few MiB.
constexpr int64_t kChunkRows = 8192;
// The finest gradient tolerance float32 iterations aim for, and their line searches' length.
constexpr double kFloatTolerance = 1e-6;
constexpr int kFloatLineSearch = 10;
// With this many rows or more, a fit starts from the fit on every kSampleStride-th row.
constexpr int64_t kSampleAbove = 40000;
constexpr int64_t kSampleStride = 8;
// The tolerance of the fit on a sample: its optimum is only an estimate of the full one.
constexpr double kSampleTolerance = 1e-5;
// Rows per oneTBB task within a chunk.
constexpr int64_t kRowsPerTask = 256;

float Exp(float x) { return FastExp(x); }
double Exp(double x) { return std::exp(x); }

// Turns a row of logits (without bias) into softmax probabilities minus the one-hot label (the
// gradient of the row's log-loss with respect to its logits) and returns the row's log-loss.
// With m the largest logit, the row's loss is log(1 + rest) + m - z_label, rest summing
// exp(z_j - m) over the other labels: kept apart from the 1, it stays exact when the row is
// nearly certain (rest far below epsilon), where most rows of a well-separated set are.
template <typename T>
double SoftmaxResidual(T* z, int64_t num_labels, int32_t label, const T* bias) {
  int64_t top = 0;
  for (int64_t j = 0; j < num_labels; ++j) {
    z[j] += bias[j];
    if (z[j] > z[top]) top = j;
  }
  const T top_logit = z[top], true_logit = z[label];
  T rest = 0;
  for (int64_t j = 0; j < num_labels; ++j) {
    z[j] = Exp(z[j] - top_logit);
    rest += j == top ? 0 : z[j];
  }
  const T inverse = 1 / (1 + rest);
  for (int64_t j = 0; j < num_labels; ++j) z[j] *= inverse;
  // p_label - 1, without the cancellation when p_label is within rounding of 1.
  z[label] = label == top ? -rest * inverse : z[label] - 1;
  return std::log1p(static_cast<double>(rest)) + static_cast<double>(top_logit) -
         static_cast<double>(true_logit);
}

// C = A * B^T (row-major; A: m x k with leading dimension lda, B: n x k, C: m x n).
void GemmAbt(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
             float* c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, lda, b, k, 0.0f, c, n);
}
void GemmAbt(int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b,
             double* c) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, a, lda, b, k, 0.0, c, n);
}
// C = A^T * B (row-major; A: rows x m, B: rows x n with leading dimension ldb, C: m x n).
void GemmAtb(int64_t m, int64_t n, int64_t rows, const float* a, const float* b, int64_t ldb,
             float* c) {
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, rows, 1.0f, a, m, b, ldb, 0.0f, c, n);
}
void GemmAtb(int64_t m, int64_t n, int64_t rows, const double* a, const double* b, int64_t ldb,
             double* c) {
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, rows, 1.0, a, m, b, ldb, 0.0, c, n);
}

// The rows of a chunk in float64, as the float64 GEMMs take them.
void Widen(const RowsView& x, int64_t start, int64_t rows, double* out) {
  for (int64_t r = 0; r < rows; ++r) {
    std::copy(x.Row(start + r), x.Row(start + r) + x.cols, out + r * x.cols);
  }
}

// The objective / n and its gradient over (W, b), for L-BFGS, chunk by chunk, computed in T:
// float32 is about three times as fast (SGEMM, our vectorised exp), float64 resolves the last
// digits of the optimum (see Fit). Sums over rows and chunks are float64 either way.
template <typename T>
class MeanObjective {
 public:
  MeanObjective(const RowsView& x, std::span<const int32_t> labels, int64_t num_labels, double c,
                tbb::task_arena& arena)
      : x_(x), labels_(labels), num_labels_(num_labels), c_(c), arena_(arena) {}

  double operator()(std::span<const double> theta, std::span<double> gradient) {
    const int64_t k = x_.cols, labels = num_labels_, n = x_.rows, weights = labels * k;
    const std::vector<T> w(theta.begin(), theta.begin() + weights);
    const std::vector<T> b(theta.begin() + weights, theta.end());
    std::fill(gradient.begin(), gradient.end(), 0.0);
    const int64_t most = std::min(n, kChunkRows);
    std::vector<double> widened(std::is_same_v<T, double> ? static_cast<size_t>(most * k) : 0);
    std::vector<T> z(static_cast<size_t>(most * labels));
    std::vector<T> chunk_gradient(static_cast<size_t>(weights));
    std::vector<double> row_loss(static_cast<size_t>(most));
    double loss = 0;
    for (int64_t start = 0; start < n; start += kChunkRows) {
      const int64_t rows = std::min(kChunkRows, n - start);
      const T* chunk;
      int64_t stride;
      if constexpr (std::is_same_v<T, float>) {
        chunk = x_.Row(start);
        stride = x_.stride;
      } else {
        Widen(x_, start, rows, widened.data());
        chunk = widened.data();
        stride = k;
      }
      GemmAbt(rows, labels, k, chunk, stride, w.data(), z.data());
      arena_.execute([&] {
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, kRowsPerTask), [&](auto range) {
          for (int64_t r = range.begin(); r < range.end(); ++r) {
            row_loss[r] = SoftmaxResidual(&z[r * labels], labels, labels_[start + r], b.data());
          }
        });
      });
      for (int64_t r = 0; r < rows; ++r) loss += row_loss[r];
      GemmAtb(labels, k, rows, z.data(), chunk, stride, chunk_gradient.data());
      for (int64_t i = 0; i < weights; ++i) gradient[i] += chunk_gradient[i];
      double* bias_gradient = gradient.data() + weights;
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < labels; ++j) bias_gradient[j] += z[r * labels + j];
      }
    }
    double penalty = 0;
    for (int64_t i = 0; i < weights; ++i) {
      penalty += theta[i] * theta[i];
      gradient[i] += theta[i] / c_;
    }
    for (double& g : gradient) g /= static_cast<double>(n);
    return (loss + penalty / (2 * c_)) / static_cast<double>(n);
  }

 private:
  RowsView x_;
  std::span<const int32_t> labels_;
  int64_t num_labels_;
  double c_;
  tbb::task_arena& arena_;
};

// L-BFGS's diagonal preconditioner: about the inverse curvature of each variable. The
// log-loss's curvature along W[j][i] grows with the mean of x_i^2 (PCA coordinates: their
// variances, spanning orders of magnitude); along b[j] with 1.
std::vector<double> Preconditioner(const RowsView& x, int64_t num_labels) {
  std::vector<double> second_moment(static_cast<size_t>(x.cols), 0.0);
  for (int64_t r = 0; r < x.rows; ++r) {
    for (int64_t i = 0; i < x.cols; ++i) second_moment[i] += double{x.Row(r)[i]} * x.Row(r)[i];
  }
  const double largest = *std::max_element(second_moment.begin(), second_moment.end());
  // A column of zeros has no curvature but the penalty's: any positive scale will do.
  const double floor = largest > 0 ? 1e-12 * largest / static_cast<double>(x.rows) : 1.0;
  std::vector<double> diagonal(static_cast<size_t>(num_labels * (x.cols + 1)), 1.0);
  for (int64_t j = 0; j < num_labels; ++j) {
    for (int64_t i = 0; i < x.cols; ++i) {
      const double mean = second_moment[i] / static_cast<double>(x.rows);
      diagonal[j * x.cols + i] = 1 / std::max(mean, floor);
    }
  }
  return diagonal;
}

}  // namespace

std::optional<SoftmaxFit> SoftmaxRegression::FitOnSample(const RowsView& x,
                                                         std::span<const int32_t> labels,
                                                         int64_t num_labels,
                                                         const SoftmaxOptions& options) {
  const RowsView sample{x.data, (x.rows + kSampleStride - 1) / kSampleStride, x.cols,
                        x.stride * kSampleStride};
  std::vector<int32_t> sample_labels;
  std::vector<uint8_t> seen(static_cast<size_t>(num_labels), 0);
  for (int64_t r = 0; r < x.rows; r += kSampleStride) {
    sample_labels.push_back(labels[r]);
    seen[labels[r]] = 1;
  }
  // A label missing from the sample would start with its logit driven far down: no help.
  if (std::find(seen.begin(), seen.end(), 0) != seen.end()) return std::nullopt;
  SoftmaxOptions sample_options = options;
  // The same penalty per row: the sample's optimum estimates the full one.
  sample_options.c = options.c * static_cast<double>(sample.rows) / static_cast<double>(x.rows);
  // Finer than the sample's own estimation error would be wasted.
  sample_options.tolerance = std::max(options.tolerance, kSampleTolerance);
  return Fit(sample, sample_labels, num_labels, sample_options);
}

SoftmaxRegression::SoftmaxRegression(int64_t num_labels, int64_t dim, std::vector<double> weights,
                                     std::vector<double> bias)
    : num_labels_(num_labels), dim_(dim), weights_(std::move(weights)), bias_(std::move(bias)) {
  if (num_labels_ < 2 || dim_ < 1 || static_cast<int64_t>(weights_.size()) != num_labels_ * dim_ ||
      static_cast<int64_t>(bias_.size()) != num_labels_) {
    throw InternalError("a softmax regression of " + std::to_string(num_labels_) + " labels x " +
                        std::to_string(dim_) + " inputs cannot have " +
                        std::to_string(weights_.size()) + " weights and " +
                        std::to_string(bias_.size()) + " biases");
  }
}

SoftmaxFit SoftmaxRegression::Fit(const RowsView& x, std::span<const int32_t> labels,
                                  int64_t num_labels, const SoftmaxOptions& options,
                                  const SoftmaxRegression* start) {
  if (x.rows < 1 || static_cast<int64_t>(labels.size()) != x.rows || x.cols < 1 ||
      x.stride < x.cols || num_labels < 2 || !(options.c > 0)) {
    throw InternalError("softmax regression: bad training set (rows " + std::to_string(x.rows) +
                        ", labels " + std::to_string(labels.size()) + ", columns " +
                        std::to_string(x.cols) + ", classes " + std::to_string(num_labels) + ")");
  }
  for (int32_t label : labels) {
    if (label < 0 || label >= num_labels) {
      throw InternalError("softmax regression: label index " + std::to_string(label) +
                          " out of range");
    }
  }
  const int64_t k = x.cols;
  std::vector<double> theta(static_cast<size_t>(num_labels * (k + 1)), 0.0);
  if (start != nullptr) {
    if (start->num_labels() != num_labels || start->dim() > k) {
      throw InternalError("softmax regression: a warm start of another shape");
    }
    for (int64_t j = 0; j < num_labels; ++j) {
      for (int64_t i = 0; i < start->dim(); ++i) {
        theta[j * k + i] = start->weights()[j * start->dim() + i];
      }
      theta[num_labels * k + j] = start->bias()[j];
    }
  }
  if (start == nullptr && x.rows >= kSampleAbove) {
    if (std::optional<SoftmaxFit> sample = FitOnSample(x, labels, num_labels, options)) {
      return Fit(x, labels, num_labels, options, &sample->model);
    }
  }
  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  LbfgsOptions lbfgs;
  lbfgs.max_iterations = options.max_iterations;
  lbfgs.gradient_tolerance = options.tolerance;
  lbfgs.diagonal = Preconditioner(x, num_labels);
  // Float32 first, to kFloatTolerance at the finest: below it, its rounding soon hides any
  // further decrease and the line searches only spend evaluations finding that out (so they are
  // kept short). Float64 takes over from there to the tolerance.
  MeanObjective<float> fast(x, labels, num_labels, options.c, arena);
  LbfgsOptions fast_options = lbfgs;
  fast_options.gradient_tolerance = std::max(options.tolerance, kFloatTolerance);
  fast_options.max_line_search = kFloatLineSearch;
  LbfgsResult result = MinimizeLbfgs(std::ref(fast), std::move(theta), fast_options);
  int iterations = result.iterations;
  if (result.gradient_max > options.tolerance && result.stop != LbfgsStop::kMaxIterations) {
    lbfgs.max_iterations = options.max_iterations - iterations;
    MeanObjective<double> exact(x, labels, num_labels, options.c, arena);
    result = MinimizeLbfgs(std::ref(exact), std::move(result.x), lbfgs);
    iterations += result.iterations;
  }
  std::vector<double> weights(result.x.begin(), result.x.begin() + num_labels * k);
  std::vector<double> bias(result.x.begin() + num_labels * k, result.x.end());
  return {SoftmaxRegression(num_labels, k, std::move(weights), std::move(bias)),
          result.value * static_cast<double>(x.rows), result.gradient_max, iterations, result.stop};
}

void SoftmaxRegression::Probabilities(const RowsView& x, double* out) const {
  if (x.cols != dim_) {
    throw InternalError("softmax regression of " + std::to_string(dim_) + " inputs given rows of " +
                        std::to_string(x.cols));
  }
  std::vector<double> rows(static_cast<size_t>(std::min(x.rows, kChunkRows) * dim_));
  for (int64_t start = 0; start < x.rows; start += kChunkRows) {
    const int64_t n = std::min(kChunkRows, x.rows - start);
    Widen(x, start, n, rows.data());
    double* z = out + start * num_labels_;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, num_labels_, dim_, 1.0, rows.data(),
                dim_, weights_.data(), dim_, 0.0, z, num_labels_);
    for (int64_t r = 0; r < n; ++r) {
      double* row = z + r * num_labels_;
      double top = -INFINITY;
      for (int64_t j = 0; j < num_labels_; ++j) {
        row[j] += bias_[j];
        top = std::max(top, row[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j < num_labels_; ++j) sum += row[j] = std::exp(row[j] - top);
      for (int64_t j = 0; j < num_labels_; ++j) row[j] /= sum;
    }
  }
}

int64_t SoftmaxRegression::CountCorrect(const RowsView& x, std::span<const int32_t> labels) const {
  int64_t correct = 0;
  std::vector<double> p;
  for (int64_t start = 0; start < x.rows; start += kChunkRows) {
    const RowsView chunk{x.Row(start), std::min(kChunkRows, x.rows - start), x.cols, x.stride};
    p.resize(static_cast<size_t>(chunk.rows * num_labels_));
    Probabilities(chunk, p.data());
    for (int64_t r = 0; r < chunk.rows; ++r) {
      const double* row = &p[r * num_labels_];
      correct += std::max_element(row, row + num_labels_) - row == labels[start + r];
    }
  }
  return correct;
}

}  // namespace fruits::classify
