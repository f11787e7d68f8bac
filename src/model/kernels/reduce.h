// ReduceMean, ReduceSum, ReduceMax over one run of axes of a dense float32 tensor (ONNX ReduceMean
// and friends with keepdims either way: the output's data is the same).
#pragma once

#include <pthreadpool.h>

#include <cstddef>

namespace fruits::model::kernels {

// in is viewed as [outer, reduced, inner], out as [outer, inner]: out[o, i] is the mean (sum, max)
// of in[o, :, i]. Global average pooling of NHWC is [N, H * W, C]. Sums accumulate in float,
// over 8 interleaved partial sums when inner is 1; an output's order of accumulation never depends
// on the pool.
// REQUIRES: reduced >= 1; in and out do not overlap. A null pool runs on the caller's thread.
void ReduceMean(const float* in, size_t outer, size_t reduced, size_t inner, float* out,
                pthreadpool_t pool);
void ReduceSum(const float* in, size_t outer, size_t reduced, size_t inner, float* out,
               pthreadpool_t pool);
void ReduceMax(const float* in, size_t outer, size_t reduced, size_t inner, float* out,
               pthreadpool_t pool);

}  // namespace fruits::model::kernels
