// Transpose: a dense float32 tensor with its axes permuted (ONNX Transpose).
#pragma once

#include <pthreadpool.h>

#include <cstddef>
#include <span>

namespace fruits::model::kernels {

// out has dims[perm[0]], dims[perm[1]], ...: out[i0, i1, ...] = in[j] with j[perm[k]] = i[k].
// Axes of size 1 are dropped and input axes that stay adjacent and in order are merged first, so
// the work is done on the fewest axes: rows copied whole when the last axis stays last, else a
// cache-blocked 2-D transpose of the two innermost axes (NHWC -> NCHW flatten [N, HW, C] ->
// [N, C, HW], channel shuffle [NHW, g, C/g] -> [NHW, C/g, g]) for each index of the others.
// REQUIRES: 1 <= dims.size() == perm.size() <= 6, perm a permutation of 0..rank-1; in and out do
// not overlap. A null pool runs on the caller's thread.
void Transpose(const float* in, std::span<const size_t> dims, std::span<const size_t> perm,
               float* out, pthreadpool_t pool);

}  // namespace fruits::model::kernels
