// Concat: dense float32 tensors joined along one axis (ONNX Concat).
#pragma once

#include <pthreadpool.h>

#include <cstddef>
#include <span>
#include <vector>

namespace fruits::model::kernels {

// out's dims are the inputs' dims with dims[axis] their sum; inputs[i] has dims[i]. Each input's
// part of an output row is one memcpy.
// REQUIRES: inputs.size() == dims.size() >= 1; every dims[i] of the same rank > axis, equal except
// at axis; out overlaps no input. A null pool runs on the caller's thread.
void Concat(std::span<const float* const> inputs, std::span<const std::vector<size_t>> dims,
            size_t axis, float* out, pthreadpool_t pool);

}  // namespace fruits::model::kernels
