// PRelu: x for x >= 0, slope * x below, with a slope per channel (ONNX PRelu with a slope
// broadcast over the channels of NHWC, or one slope; LeakyRelu is the one-slope case).
#pragma once

#include <pthreadpool.h>

#include <cstddef>

namespace fruits::model::kernels {

// in and out are [rows, channels]; slope has slope_channels values: channels, or 1 for one slope
// for every element.
// REQUIRES: slope_channels == channels or slope_channels == 1; in == out, or no overlap. A null
// pool runs on the caller's thread.
void PRelu(const float* in, size_t rows, size_t channels, const float* slope, size_t slope_channels,
           float* out, pthreadpool_t pool);

}  // namespace fruits::model::kernels
