#include "model/kernels/elementwise.h"

#include <cmath>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {
namespace {

// out[i] = function(in[i]) over ranges of the pool; `cost` weighs an element against a copy.
template <class Function>
void Map(const float* in, size_t n, float* out, size_t cost, pthreadpool_t pool,
         Function function) {
  ParallelFor(pool, n, cost, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) out[i] = function(in[i]);
  });
}

}  // namespace

void Erf(const float* in, size_t n, float* out, pthreadpool_t pool) {
  Map(in, n, out, kTranscendentalCost, pool, [](float x) { return std::erf(x); });
}

void Gelu(const float* in, size_t n, float* out, pthreadpool_t pool) {
  constexpr float kMinusSqrtHalf = -0.70710678118654752f;
  Map(in, n, out, kTranscendentalCost, pool,
      [](float x) { return 0.5f * x * std::erfc(x * kMinusSqrtHalf); });
}

void GeluTanh(const float* in, size_t n, float* out, pthreadpool_t pool) {
  constexpr float kSqrtTwoOverPi = 0.79788456080286536f;
  constexpr float kCubic = 0.044715f;
  Map(in, n, out, kTranscendentalCost, pool, [](float x) {
    return 0.5f * x * (1.0f + std::tanh(kSqrtTwoOverPi * (x + kCubic * x * x * x)));
  });
}

void Tanh(const float* in, size_t n, float* out, pthreadpool_t pool) {
  Map(in, n, out, kTranscendentalCost, pool, [](float x) { return std::tanh(x); });
}

void Pow(const float* in, size_t n, float exponent, float* out, pthreadpool_t pool) {
  if (exponent == 1.0f) {
    Map(in, n, out, 1, pool, [](float x) { return x; });
  } else if (exponent == 2.0f) {
    Map(in, n, out, 1, pool, [](float x) { return x * x; });
  } else if (exponent == 0.5f) {
    Map(in, n, out, 2, pool, [](float x) { return std::sqrt(x); });
  } else {
    Map(in, n, out, kTranscendentalCost, pool,
        [exponent](float x) { return std::pow(x, exponent); });
  }
}

}  // namespace fruits::model::kernels
