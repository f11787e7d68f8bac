#include "pca/pca_model.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "pca/npy.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sha256.h"

namespace fruits::pca {

namespace {

constexpr char kFormat[] = "fruits.pca";
constexpr int kFormatVersion = 1;

// A cumulative ratio this close below the target reaches it: sums of ratios that are exactly
// the target in decimal (0.95 of a variance split 19:1) land a few ulps either side of it.
constexpr double kVarianceSlack = 1e-12;
// Rows projected per dgemm call in Apply(): bounds the float64 buffer (32 MiB).
constexpr int64_t kApplyChunkValues = int64_t{1} << 22;

// A fraction as a percentage with one decimal, or as many as it takes to be exact (99.99%).
std::string Percent(double fraction) {
  char text[32];
  for (int decimals = 1; decimals <= 6; ++decimals) {
    std::snprintf(text, sizeof(text), "%.*f%%", decimals, fraction * 100);
    if (std::abs(std::strtod(text, nullptr) - fraction * 100) < 1e-9) break;
  }
  return text;
}

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.10g", value);
  return text;
}

void CheckOptions(const PcaOptions& options) {
  const bool has_k = options.k != 0;
  const bool has_variance = options.variance != 0;
  if (has_k == has_variance) {
    throw UsageError(has_k ? "choose either --k or --variance, not both"
                           : "choose the number of PCA components: --k N or --variance FRACTION");
  }
  if (has_k && options.k < 1) {
    throw UsageError("--k " + std::to_string(options.k) + ": keep at least 1 component");
  }
  if (has_variance && !(options.variance > 0 && options.variance <= 1)) {
    throw UsageError("--variance " + Number(options.variance) +
                     ": give a fraction of the variance in (0, 1], e.g. 0.95");
  }
}

// The components the data can support, and why (for the warning and k_reason).
struct Limit {
  int64_t components;
  std::string reason;
};

Limit ComponentLimit(int64_t n, int64_t d, int64_t rank) {
  Limit limit{d, "the features have " + std::to_string(d) + " dimensions"};
  if (n - 1 < limit.components) {
    limit = {n - 1,
             std::to_string(n) + " rows give at most " + std::to_string(n - 1) + " components"};
  }
  if (rank < limit.components) {
    limit = {rank, "the features have numerical rank " + std::to_string(rank) +
                       " (some dimensions are linear combinations of others)"};
  }
  return limit;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i > 0 ? ", " : "") + std::to_string(shape[i]);
  }
  return text + ")";
}

}  // namespace

PcaModel PcaModel::Fit(const Moments& moments, const PcaOptions& options) {
  CheckOptions(options);
  const int64_t n = moments.count();
  const int64_t d = moments.dim();
  if (n < 2) {
    throw Error("PCA needs at least 2 feature rows, got " + std::to_string(n) +
                ": fit on more images");
  }

  // The covariance is symmetric, so its row-major storage is also its column-major storage;
  // column-major output puts eigenvector j in the contiguous row j.
  std::vector<double> vectors = moments.Covariance();
  std::vector<double> values(d);
  const lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'U', static_cast<lapack_int>(d),
                                         vectors.data(), static_cast<lapack_int>(d), values.data());
  if (info < 0) {
    throw Error("the feature covariance holds NaN or infinite values (LAPACK dsyevd argument " +
                std::to_string(-info) + "): check the features for non-finite rows");
  }
  if (info > 0) {
    throw Error(
        "the eigen-decomposition of the feature covariance did not converge (LAPACK "
        "dsyevd info " +
        std::to_string(info) + ")");
  }

  PcaModel model;
  model.n_ = n;
  model.whiten_ = options.whiten;
  model.mean_ = moments.mean();
  // dsyevd sorts increasing; rounding leaves the eigenvalues of a singular covariance a few
  // ulps either side of zero, and a variance cannot be negative.
  model.explained_variance_.resize(d);
  for (int64_t i = 0; i < d; ++i) model.explained_variance_[i] = std::max(0.0, values[d - 1 - i]);
  const double largest = model.explained_variance_[0];
  if (largest == 0) {
    throw Error("the " + std::to_string(n) +
                " feature rows are all the same: PCA has no direction to keep");
  }
  // Forming the covariance squares the condition number: eigenvalues below what rounding in a
  // d x d float64 matrix can resolve (numpy.linalg.matrix_rank's tolerance) are noise.
  const double noise = largest * static_cast<double>(d) * std::numeric_limits<double>::epsilon();
  int64_t rank = 0;
  while (rank < d && model.explained_variance_[rank] > noise) ++rank;

  int64_t wanted;
  std::string why;
  if (options.k > 0) {
    wanted = options.k;
    why = " (" + options.k_origin + ")";
  } else {
    const std::vector<double> ratio = model.ExplainedVarianceRatio();
    double cumulative = 0;
    wanted = d;
    for (int64_t i = 0; i < d; ++i) {
      cumulative += ratio[i];
      if (cumulative >= options.variance - kVarianceSlack) {
        wanted = i + 1;
        break;
      }
    }
    why = ", the smallest keeping " + Percent(options.variance) + " of the variance (--variance " +
          Number(options.variance) + ")";
  }
  const Limit limit = ComponentLimit(n, d, rank);
  if (wanted > limit.components) {
    LogWarning("k = " + std::to_string(wanted) +
               (options.k > 0 ? " asked"
                              : " needed for " + Percent(options.variance) + " of the variance") +
               ", but " + limit.reason + ": keeping " + std::to_string(limit.components));
    model.k_ = limit.components;
    model.k_reason_ = "k = " + std::to_string(model.k_) + " (" +
                      (options.k > 0 ? "--k " + std::to_string(options.k)
                                     : "--variance " + Number(options.variance)) +
                      ", capped: " + limit.reason + ")";
  } else {
    model.k_ = wanted;
    model.k_reason_ = "k = " + std::to_string(wanted) + why;
  }

  model.components_.resize(model.k_ * d);
  for (int64_t i = 0; i < model.k_; ++i) {
    const double* vector = vectors.data() + (d - 1 - i) * d;
    double* component = model.components_.data() + i * d;
    int64_t largest_at = 0;
    for (int64_t j = 1; j < d; ++j) {
      if (std::abs(vector[j]) > std::abs(vector[largest_at])) largest_at = j;
    }
    const double sign = vector[largest_at] < 0 ? -1.0 : 1.0;
    for (int64_t j = 0; j < d; ++j) component[j] = sign * vector[j];
  }
  return model;
}

std::vector<double> PcaModel::ExplainedVarianceRatio() const {
  double total = 0;
  for (double v : explained_variance_) total += v;
  std::vector<double> ratio(explained_variance_.size());
  for (size_t i = 0; i < ratio.size(); ++i) ratio[i] = explained_variance_[i] / total;
  return ratio;
}

double PcaModel::VarianceKept() const {
  const std::vector<double> ratio = ExplainedVarianceRatio();
  double kept = 0;
  for (int64_t i = 0; i < k_; ++i) kept += ratio[i];
  return kept;
}

void PcaModel::Apply(const float* in, int64_t n, float* out) const {
  const int64_t d = d_in();
  const int64_t chunk_rows = std::max<int64_t>(1, kApplyChunkValues / d);
  std::vector<double> centred(std::min(n, chunk_rows) * d);
  std::vector<double> projected(std::min(n, chunk_rows) * k_);
  std::vector<double> scale(k_, 1.0);
  if (whiten_) {
    for (int64_t i = 0; i < k_; ++i) scale[i] = 1.0 / std::sqrt(explained_variance_[i]);
  }
  for (int64_t start = 0; start < n; start += chunk_rows) {
    const int64_t rows = std::min(chunk_rows, n - start);
    // Centring before projecting, in float64: projecting first and subtracting mean *
    // components^T would cancel catastrophically for features far from the origin.
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = in + (start + r) * d;
      double* centred_row = centred.data() + r * d;
      for (int64_t j = 0; j < d; ++j) centred_row[j] = row[j] - mean_[j];
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows),
                static_cast<int>(k_), static_cast<int>(d), 1.0, centred.data(), static_cast<int>(d),
                components_.data(), static_cast<int>(d), 0.0, projected.data(),
                static_cast<int>(k_));
    for (int64_t r = 0; r < rows; ++r) {
      float* out_row = out + (start + r) * k_;
      for (int64_t i = 0; i < k_; ++i) {
        out_row[i] = static_cast<float>(projected[r * k_ + i] * scale[i]);
      }
    }
  }
}

PcaModel PcaModel::Truncated(int64_t k, std::string k_reason) const {
  if (k < 1 || k > k_) {
    throw InternalError("cannot keep " + std::to_string(k) + " of a PCA model's " +
                        std::to_string(k_) + " components");
  }
  PcaModel model = *this;
  model.k_ = k;
  model.k_reason_ = std::move(k_reason);
  model.components_.resize(static_cast<size_t>(k * d_in()));
  return model;
}

void PcaModel::Save(storage::ObjectStore& store, const std::string& folder,
                    const std::vector<std::pair<std::string, std::string>>& metadata) const {
  const int64_t d = d_in();
  store.Write(storage::JoinUri(folder, "mean.npy"), EncodeNpy({{d}, mean_}));
  store.Write(storage::JoinUri(folder, "components.npy"), EncodeNpy({{k_, d}, components_}));
  store.Write(storage::JoinUri(folder, "explained_variance.npy"),
              EncodeNpy({{d}, explained_variance_}));
  store.Write(storage::JoinUri(folder, "explained_variance_ratio.npy"),
              EncodeNpy({{d}, ExplainedVarianceRatio()}));

  nlohmann::ordered_json json;
  json["format"] = kFormat;
  json["version"] = kFormatVersion;
  json["n"] = n_;
  json["d_in"] = d;
  json["k"] = k_;
  json["whiten"] = whiten_;
  json["variance_kept"] = VarianceKept();
  json["k_reason"] = k_reason_;
  json["metadata"] = nlohmann::ordered_json::object();
  for (const auto& [key, value] : metadata) json["metadata"][key] = value;
  // Written last: a folder with model.json holds a complete model.
  store.Write(storage::JoinUri(folder, "model.json"), json.dump(2) + "\n");
}

PcaModel PcaModel::Load(storage::ObjectStore& store, const std::string& folder) {
  const std::string json_uri = storage::JoinUri(folder, "model.json");
  Result<std::string> json_bytes = store.Read(json_uri);
  if (!json_bytes.ok()) {
    throw UsageError("no PCA model in '" + folder + "' (" + json_bytes.error() +
                     "): fit one first with `fruits pca fit`");
  }
  PcaModel model;
  int64_t k;
  int64_t d;
  try {
    const nlohmann::json json = nlohmann::json::parse(json_bytes.value());
    if (json.value("format", "") != kFormat) {
      throw Error("'" + json_uri + "' is not a fruits PCA model (format is not \"" + kFormat +
                  "\")");
    }
    if (json.at("version").get<int>() != kFormatVersion) {
      throw Error("'" + json_uri + "' is a PCA model of format version " +
                  json.at("version").dump() + "; this build reads version " +
                  std::to_string(kFormatVersion) + ": refit it or use a newer fruits");
    }
    model.n_ = json.at("n").get<int64_t>();
    d = json.at("d_in").get<int64_t>();
    k = json.at("k").get<int64_t>();
    model.whiten_ = json.at("whiten").get<bool>();
    model.k_reason_ = json.at("k_reason").get<std::string>();
    for (const auto& [key, value] : json.at("metadata").items()) {
      model.metadata_.emplace_back(key, value.get<std::string>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + json_uri + "' is not a valid PCA model description: " + e.what());
  }
  if (model.n_ < 2 || d < 1 || k < 1 || k > d) {
    throw Error("'" + json_uri + "' describes an impossible model (n " + std::to_string(model.n_) +
                ", d_in " + std::to_string(d) + ", k " + std::to_string(k) + ")");
  }
  model.k_ = k;

  auto read = [&](const std::string& name, const std::vector<int64_t>& shape) {
    const std::string uri = storage::JoinUri(folder, name);
    Result<std::string> bytes = store.Read(uri);
    if (!bytes.ok())
      throw Error("the PCA model in '" + folder + "' is incomplete: " + bytes.error());
    NpyArray array = DecodeNpy(bytes.value(), uri);
    if (array.shape != shape) {
      throw Error("'" + uri + "' has shape " + ShapeText(array.shape) + " but model.json says " +
                  ShapeText(shape) + ": the model files do not belong together");
    }
    for (double value : array.values) {
      if (!std::isfinite(value)) throw Error("'" + uri + "' holds NaN or infinite values");
    }
    return std::move(array.values);
  };
  model.mean_ = read("mean.npy", {d});
  model.components_ = read("components.npy", {k, d});
  model.explained_variance_ = read("explained_variance.npy", {d});
  const std::vector<double> ratio = read("explained_variance_ratio.npy", {d});
  const std::vector<double> expected_ratio = model.ExplainedVarianceRatio();
  for (int64_t i = 0; i < d; ++i) {
    if (!(std::abs(ratio[i] - expected_ratio[i]) <= 1e-12)) {
      throw Error("'" + storage::JoinUri(folder, "explained_variance_ratio.npy") +
                  "' disagrees with explained_variance.npy: the model files do not belong "
                  "together");
    }
  }
  for (int64_t i = 0; model.whiten_ && i < k; ++i) {
    if (!(model.explained_variance_[i] > 0)) {
      throw Error("'" + storage::JoinUri(folder, "explained_variance.npy") +
                  "' gives a kept component no variance, which whitening cannot scale");
    }
  }
  return model;
}

std::string PcaModel::Digest() const {
  Sha256 hash;
  auto add = [&hash](const std::vector<double>& values) {
    hash.Update({reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double)});
  };
  add(mean_);
  add(components_);
  if (whiten_) add(explained_variance_);
  hash.Update(whiten_ ? "whiten" : "plain");
  return hash.HexDigest();
}

std::string PcaModel::Metadata(const std::string& key) const {
  for (const auto& [name, value] : metadata_) {
    if (name == key) return value;
  }
  return "";
}

}  // namespace fruits::pca
