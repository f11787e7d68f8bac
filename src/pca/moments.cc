#include "pca/moments.h"

#include <cblas.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "util/byte_codec.h"
#include "util/error.h"

namespace fruits::pca {

namespace {

// Rows centred per dsyrk call: the float64 buffer holds at most this many values (32 MiB), and
// never fewer than 256 rows, below which dsyrk runs far from its peak.
constexpr int64_t kChunkValues = int64_t{1} << 22;
constexpr int64_t kMinChunkRows = 256;

// Serialised layout, every field little-endian: magic, uint32 version, uint32 zero, int64 dim,
// int64 count, dim doubles of mean, dim * (dim + 1) / 2 doubles of the upper triangle row by row.
constexpr char kMagic[8] = {'F', 'R', 'U', 'I', 'T', 'S', 'M', 'O'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8 + 8;

int64_t TriangleSize(int64_t dim) { return dim * (dim + 1) / 2; }

// Folds a group of `count_b` rows with mean `mean_b` into (count_a, mean_a, scatter_a), whose
// scatter already includes the group's own scatter about mean_b: Chan, Golub and LeVeque's
// pairwise update adds the spread between the two means.
void FoldMeans(int64_t dim, int64_t count_a, int64_t count_b, const std::vector<double>& mean_b,
               std::vector<double>* mean_a, std::vector<double>* scatter_upper) {
  const double n_a = static_cast<double>(count_a);
  const double n_b = static_cast<double>(count_b);
  const double n = n_a + n_b;
  std::vector<double> delta(dim);
  for (int64_t j = 0; j < dim; ++j) delta[j] = mean_b[j] - (*mean_a)[j];
  if (count_a > 0) {
    cblas_dsyr(CblasRowMajor, CblasUpper, static_cast<int>(dim), n_a * n_b / n, delta.data(), 1,
               scatter_upper->data(), static_cast<int>(dim));
  }
  const double weight_b = n_b / n;
  for (int64_t j = 0; j < dim; ++j) (*mean_a)[j] += delta[j] * weight_b;
}

}  // namespace

Moments::Moments(int64_t dim) : dim_(dim) {
  if (dim < 1) throw InternalError("moments of " + std::to_string(dim) + " features per row");
  mean_.assign(dim, 0.0);
  scatter_.assign(dim * dim, 0.0);
}

void Moments::Add(const float* rows, int64_t n) {
  const int64_t chunk_rows = std::max(kMinChunkRows, kChunkValues / dim_);
  std::vector<double> centred(std::min(n, chunk_rows) * dim_);
  std::vector<double> chunk_mean(dim_);
  for (int64_t start = 0; start < n; start += chunk_rows) {
    const int64_t rows_here = std::min(chunk_rows, n - start);
    const float* chunk = rows + start * dim_;
    std::fill(chunk_mean.begin(), chunk_mean.end(), 0.0);
    for (int64_t r = 0; r < rows_here; ++r) {
      const float* row = chunk + r * dim_;
      for (int64_t j = 0; j < dim_; ++j) chunk_mean[j] += row[j];
    }
    for (double& m : chunk_mean) m /= static_cast<double>(rows_here);
    for (int64_t r = 0; r < rows_here; ++r) {
      const float* row = chunk + r * dim_;
      double* out = centred.data() + r * dim_;
      for (int64_t j = 0; j < dim_; ++j) out[j] = row[j] - chunk_mean[j];
    }
    // The chunk's scatter about its own mean goes straight into ours; FoldMeans adds the rest.
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(dim_),
                static_cast<int>(rows_here), 1.0, centred.data(), static_cast<int>(dim_), 1.0,
                scatter_.data(), static_cast<int>(dim_));
    FoldMeans(dim_, count_, rows_here, chunk_mean, &mean_, &scatter_);
    count_ += rows_here;
  }
}

void Moments::Merge(const Moments& other) {
  if (other.dim_ != dim_) {
    throw InternalError("merging moments of " + std::to_string(other.dim_) +
                        " features per row into moments of " + std::to_string(dim_));
  }
  if (other.count_ == 0) return;
  for (int64_t i = 0; i < dim_; ++i) {
    for (int64_t j = i; j < dim_; ++j) scatter_[i * dim_ + j] += other.scatter_[i * dim_ + j];
  }
  FoldMeans(dim_, count_, other.count_, other.mean_, &mean_, &scatter_);
  count_ += other.count_;
}

std::vector<double> Moments::Scatter() const {
  std::vector<double> full(dim_ * dim_);
  for (int64_t i = 0; i < dim_; ++i) {
    for (int64_t j = i; j < dim_; ++j) {
      full[i * dim_ + j] = scatter_[i * dim_ + j];
      full[j * dim_ + i] = scatter_[i * dim_ + j];
    }
  }
  return full;
}

std::vector<double> Moments::Covariance() const {
  if (count_ < 2) {
    throw InternalError("a covariance needs 2 rows or more, the moments hold " +
                        std::to_string(count_));
  }
  std::vector<double> covariance = Scatter();
  const double divisor = static_cast<double>(count_ - 1);
  for (double& value : covariance) value /= divisor;
  return covariance;
}

std::string Moments::Serialize() const {
  std::string out;
  out.reserve(kHeaderBytes + 8 * (dim_ + TriangleSize(dim_)));
  out.append(kMagic, sizeof(kMagic));
  AppendU64(out, kVersion);  // uint32 version then uint32 zero, little-endian
  AppendU64(out, static_cast<uint64_t>(dim_));
  AppendU64(out, static_cast<uint64_t>(count_));
  for (double m : mean_) AppendU64(out, std::bit_cast<uint64_t>(m));
  for (int64_t i = 0; i < dim_; ++i) {
    for (int64_t j = i; j < dim_; ++j)
      AppendU64(out, std::bit_cast<uint64_t>(scatter_[i * dim_ + j]));
  }
  return out;
}

Moments Moments::Deserialize(std::string_view bytes) {
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    throw Error("these bytes are not serialised PCA moments (no FRUITSMO header)");
  }
  const uint64_t version = LoadU64(bytes.data() + 8);
  if (version != kVersion) {
    throw Error("serialised PCA moments of version " + std::to_string(version) +
                ", this build reads version " + std::to_string(kVersion) +
                ": use the same fruits version on every process");
  }
  const uint64_t dim = LoadU64(bytes.data() + 16);
  const uint64_t count = LoadU64(bytes.data() + 24);
  // dim <= 2^24 keeps the size arithmetic below far from overflow.
  if (dim < 1 || dim > (uint64_t{1} << 24) || count > (uint64_t{1} << 62)) {
    throw Error("serialised PCA moments with an impossible header (dim " + std::to_string(dim) +
                ", count " + std::to_string(count) + ")");
  }
  const int64_t d = static_cast<int64_t>(dim);
  const uint64_t expected = kHeaderBytes + 8 * static_cast<uint64_t>(d + TriangleSize(d));
  if (bytes.size() != expected) {
    throw Error("serialised PCA moments of dim " + std::to_string(dim) + " should be " +
                std::to_string(expected) + " bytes, got " + std::to_string(bytes.size()) +
                " (truncated or corrupt)");
  }
  Moments moments(d);
  moments.count_ = static_cast<int64_t>(count);
  const char* p = bytes.data() + kHeaderBytes;
  for (double& m : moments.mean_) {
    m = std::bit_cast<double>(LoadU64(p));
    p += 8;
  }
  for (int64_t i = 0; i < d; ++i) {
    for (int64_t j = i; j < d; ++j) {
      moments.scatter_[i * d + j] = std::bit_cast<double>(LoadU64(p));
      p += 8;
    }
  }
  return moments;
}

int64_t FirstNonFiniteRow(const float* rows, int64_t n, int64_t dim) {
  constexpr uint32_t kExponent = 0x7f800000;  // all ones: an infinity or a NaN
  for (int64_t r = 0; r < n; ++r) {
    const float* row = rows + r * dim;
    // An integer OR over the row vectorises, where an early exit per value would not.
    uint32_t non_finite = 0;
    for (int64_t j = 0; j < dim; ++j) {
      non_finite |= (std::bit_cast<uint32_t>(row[j]) & kExponent) == kExponent;
    }
    if (non_finite != 0) return r;
  }
  return -1;
}

}  // namespace fruits::pca
