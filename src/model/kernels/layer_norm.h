// LayerNorm: each row normalised over its channels (ONNX LayerNormalization over the last axis,
// ConvNeXt's channels-last LayerNorm in NHWC).
#pragma once

#include <pthreadpool.h>

#include <cstddef>

namespace fruits::model::kernels {

// out[r, c] = (in[r, c] - mean_r) / sqrt(var_r + epsilon) * scale[c] + bias[c], with mean_r and
// the biased variance var_r of row r computed in double over two passes (exact enough for rows
// with a large mean). A null scale is 1, a null bias 0.
// REQUIRES: channels >= 1; in == out, or no overlap. A null pool runs on the caller's thread.
void LayerNorm(const float* in, size_t rows, size_t channels, const float* scale, const float* bias,
               float epsilon, float* out, pthreadpool_t pool);

}  // namespace fruits::model::kernels
