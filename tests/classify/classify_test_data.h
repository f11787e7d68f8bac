// Synthetic classification sets for the classifier's tests: Gaussian classes with a shared,
// correlated covariance, so that the first coordinates carry most of the signal as PCA
// coordinates do.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace fruits::classify {

struct LabelledRows {
  int64_t n = 0;
  int64_t d = 0;
  int64_t num_labels = 0;
  std::vector<float> x;  // n x d, row-major
  std::vector<int32_t> y;
};

// `separation` scales the class means against the unit-scale noise: about 1 gives overlapping
// classes (accuracy well below 100%), 4 nearly separable ones. Every label occurs.
inline LabelledRows GaussianClasses(int64_t n, int64_t d, int64_t num_labels, double separation,
                                    uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> means(num_labels * d), mixing(d * d);
  for (double& m : means) m = separation * normal(rng);
  for (double& a : mixing) a = normal(rng) / static_cast<double>(d);
  LabelledRows rows{n, d, num_labels, std::vector<float>(n * d), std::vector<int32_t>(n)};
  std::vector<double> z(d);
  for (int64_t r = 0; r < n; ++r) {
    const int32_t label = static_cast<int32_t>(r % num_labels);
    rows.y[r] = label;
    for (double& v : z) v = normal(rng);
    for (int64_t j = 0; j < d; ++j) {
      // Later columns matter less: their mean offsets and noise shrink.
      double v = means[label * d + j] / (1 + 0.3 * j) + z[j] / (1 + 0.1 * j);
      for (int64_t i = 0; i < d; ++i) v += mixing[j * d + i] * z[i];
      rows.x[r * d + j] = static_cast<float>(v);
    }
  }
  return rows;
}

}  // namespace fruits::classify
