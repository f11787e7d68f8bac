#include "model/kernels/layer_norm.h"

#include <cmath>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {
namespace {

void NormalizeRow(const float* in, size_t channels, const float* scale, const float* bias,
                  float epsilon, float* out) {
  double sum = 0;
  for (size_t c = 0; c < channels; ++c) sum += in[c];
  const double mean = sum / static_cast<double>(channels);
  double squares = 0;
  for (size_t c = 0; c < channels; ++c) {
    const double deviation = in[c] - mean;
    squares += deviation * deviation;
  }
  const double inverse_std = 1.0 / std::sqrt(squares / static_cast<double>(channels) + epsilon);
  for (size_t c = 0; c < channels; ++c) out[c] = static_cast<float>((in[c] - mean) * inverse_std);
  if (scale != nullptr) {
    for (size_t c = 0; c < channels; ++c) out[c] *= scale[c];
  }
  if (bias != nullptr) {
    for (size_t c = 0; c < channels; ++c) out[c] += bias[c];
  }
}

}  // namespace

void LayerNorm(const float* in, size_t rows, size_t channels, const float* scale, const float* bias,
               float epsilon, float* out, pthreadpool_t pool) {
  ParallelFor(pool, rows, 4 * channels, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      NormalizeRow(in + r * channels, channels, scale, bias, epsilon, out + r * channels);
    }
  });
}

}  // namespace fruits::model::kernels
