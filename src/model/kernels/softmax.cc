#include "model/kernels/softmax.h"

#include <algorithm>
#include <cmath>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {
namespace {

void SoftmaxRow(const float* in, size_t channels, float* out) {
  const float max = *std::max_element(in, in + channels);
  double sum = 0;
  for (size_t c = 0; c < channels; ++c) {
    out[c] = std::exp(in[c] - max);
    sum += out[c];
  }
  const float inverse_sum = static_cast<float>(1.0 / sum);
  for (size_t c = 0; c < channels; ++c) out[c] *= inverse_sum;
}

}  // namespace

void Softmax(const float* in, size_t rows, size_t channels, float* out, pthreadpool_t pool) {
  ParallelFor(pool, rows, kTranscendentalCost * channels, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r)
      SoftmaxRow(in + r * channels, channels, out + r * channels);
  });
}

}  // namespace fruits::model::kernels
