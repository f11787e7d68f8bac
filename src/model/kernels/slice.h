// Slice: a strided range of one axis of a dense float32 tensor (ONNX Slice with one axis and a
// positive step, and each output of Split).
#pragma once

#include <pthreadpool.h>

#include <cstddef>
#include <span>

namespace fruits::model::kernels {

// out = in[..., start : start + count * step : step, ...] along axis: out's dims are in's with
// dims[axis] = count. Contiguous runs are copied with memcpy (the whole range per outer index when
// step is 1).
// REQUIRES: axis < dims.size(), step >= 1, count == 0 or start + (count - 1) * step < dims[axis];
// in and out do not overlap. A null pool runs on the caller's thread.
void Slice(const float* in, std::span<const size_t> dims, size_t axis, size_t start, size_t count,
           size_t step, float* out, pthreadpool_t pool);

}  // namespace fruits::model::kernels
