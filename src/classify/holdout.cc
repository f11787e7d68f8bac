#include "classify/holdout.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>
#include <utility>

#include "util/error.h"

namespace fruits::classify {

namespace {

// SplitMix64 (Steele, Lea and Flood 2014): a small generator with a fixed, published sequence.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound), without modulo bias (rejection). REQUIRES: bound >= 1.
  uint64_t Below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t value;
    do value = Next();
    while (value >= limit);
    return value % bound;
  }

 private:
  uint64_t state_;
};

}  // namespace

std::vector<uint8_t> StratifiedHoldout(std::span<const int32_t> labels, int64_t num_labels,
                                       double fraction, uint64_t seed) {
  if (!(fraction > 0 && fraction < 1) || num_labels < 1) {
    throw InternalError("a holdout fraction must be in (0, 1), got " + std::to_string(fraction));
  }
  std::vector<std::vector<int64_t>> rows_of(static_cast<size_t>(num_labels));
  for (size_t r = 0; r < labels.size(); ++r) {
    if (labels[r] < 0 || labels[r] >= num_labels) {
      throw InternalError("holdout: label index " + std::to_string(labels[r]) + " out of range");
    }
    rows_of[labels[r]].push_back(static_cast<int64_t>(r));
  }
  std::vector<uint8_t> held_out(labels.size(), 0);
  SplitMix64 random(seed);
  for (std::vector<int64_t>& rows : rows_of) {
    const int64_t count = static_cast<int64_t>(rows.size());
    if (count < 2) continue;
    const int64_t wanted = std::clamp<int64_t>(std::llround(fraction * count), 1, count - 1);
    for (int64_t i = count - 1; i > 0; --i) {
      std::swap(rows[i], rows[random.Below(static_cast<uint64_t>(i) + 1)]);
    }
    for (int64_t i = 0; i < wanted; ++i) held_out[rows[i]] = 1;
  }
  return held_out;
}

}  // namespace fruits::classify
