#include "model/kernels/prelu.h"

#include <cassert>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {

void PRelu(const float* in, size_t rows, size_t channels, const float* slope, size_t slope_channels,
           float* out, pthreadpool_t pool) {
  assert(slope_channels == channels || slope_channels == 1);
  if (slope_channels == 1) {
    const float shared = slope[0];
    ParallelFor(pool, rows * channels, 1, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) out[i] = in[i] < 0.0f ? in[i] * shared : in[i];
    });
    return;
  }
  ParallelFor(pool, rows, channels, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* x = in + r * channels;
      float* y = out + r * channels;
      for (size_t c = 0; c < channels; ++c) y[c] = x[c] < 0.0f ? x[c] * slope[c] : x[c];
    }
  });
}

}  // namespace fruits::model::kernels
