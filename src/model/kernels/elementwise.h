// Element-wise functions of a dense float32 tensor of n elements that XNNPACK's 2022 subgraph API
// lacks (ONNX Erf, Tanh, Pow with a constant exponent, and GELU, exact and tanh-approximated).
//
// Each accepts in == out (in place); otherwise in and out do not overlap. A null pool runs on the
// caller's thread.
#pragma once

#include <pthreadpool.h>

#include <cstddef>

namespace fruits::model::kernels {

// erf(x) by a vectorised rational approximation, within 4e-7 of std::erf (5e-7 tested).
void Erf(const float* in, size_t n, float* out, pthreadpool_t pool);

// x * 0.5 * (1 + erf(x / sqrt 2)) with Erf's approximation, vectorised: within 1.5e-6 + 1e-6 *
// |GELU| of the exact GELU (tested). Where 1 + erf cancels (x below -3) the error is absolute,
// not relative; from x = -5.55 the result is exactly -0.
void Gelu(const float* in, size_t n, float* out, pthreadpool_t pool);

// The tanh approximation: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
void GeluTanh(const float* in, size_t n, float* out, pthreadpool_t pool);

// std::tanh.
void Tanh(const float* in, size_t n, float* out, pthreadpool_t pool);

// x^exponent as std::pow, with exponent 1 a copy, 2 a product and 0.5 a square root (which gives
// -0 for -0 and NaN for -inf where std::pow gives +0 and +inf).
void Pow(const float* in, size_t n, float exponent, float* out, pthreadpool_t pool);

}  // namespace fruits::model::kernels
