// Softmax: each row's exponentials normalised to sum 1 (ONNX Softmax over the last axis).
#pragma once

#include <pthreadpool.h>

#include <cstddef>

namespace fruits::model::kernels {

// out[r, c] = exp(in[r, c] - max_r) / sum over c' of exp(in[r, c'] - max_r): the row's maximum
// subtracted first, so large logits neither overflow nor lose the small ones.
// REQUIRES: channels >= 1; in == out, or no overlap. A null pool runs on the caller's thread.
void Softmax(const float* in, size_t rows, size_t channels, float* out, pthreadpool_t pool);

}  // namespace fruits::model::kernels
