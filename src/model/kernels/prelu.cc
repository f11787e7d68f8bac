#include "model/kernels/prelu.h"

#include <algorithm>
#include <cassert>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {
namespace {

// Branch-free, so the compiler vectorises the loops (a select on x < 0 is a branch to it). The
// select's value, up to the sign of a zero: one of the two terms is 0.
inline float Leak(float x, float slope) { return std::max(x, 0.0f) + slope * std::min(x, 0.0f); }

}  // namespace

void PRelu(const float* in, size_t rows, size_t channels, const float* slope, size_t slope_channels,
           float* out, pthreadpool_t pool) {
  assert(slope_channels == channels || slope_channels == 1);
  if (slope_channels == 1) {
    const float shared = slope[0];
    ParallelFor(pool, rows * channels, 1, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) out[i] = Leak(in[i], shared);
    });
    return;
  }
  ParallelFor(pool, rows, channels, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* x = in + r * channels;
      float* y = out + r * channels;
      for (size_t c = 0; c < channels; ++c) y[c] = Leak(x[c], slope[c]);
    }
  });
}

}  // namespace fruits::model::kernels
