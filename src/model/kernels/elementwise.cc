#include "model/kernels/elementwise.h"

#include <algorithm>
#include <cmath>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {
namespace {

// Relative cost of an element of a rational approximation against a copy.
constexpr size_t kPolynomialCost = 4;

// out[i] = function(in[i]) over ranges of the pool; `cost` weighs an element against a copy.
template <class Function>
void Map(const float* in, size_t n, float* out, size_t cost, pthreadpool_t pool,
         Function function) {
  ParallelFor(pool, n, cost, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) out[i] = function(in[i]);
  });
}

// erf(x) within 4e-7 absolute, branch-free so the loops over it vectorise (std::erf does not):
// x * P(x^2) / Q(x^2), degrees 5 and 5, fitted by us (weighted least squares on the absolute error
// of erf over [0, 3.925], then rounded to float); +-1 from |x| = 3.92, where std::erf rounds to
// +-1 in float too (and GELU's 1 + erf becomes exactly 0). The select comes after the division:
// a clamp of x before it keeps GCC from vectorising (the division may trap).
float FastErf(float x) {
  constexpr float kSaturation = 3.92f;
  const float t = x * x;
  const float p =
      ((((2.0428613e-06f * t + 0.000285980728f) * t + 0.00380975287f) * t + 0.0528806448f) * t +
       0.191421211f) *
          t +
      1.12837911f;
  const float q =
      ((((3.80760939e-05f * t + 0.00117354002f) * t + 0.0150557579f) * t + 0.114527136f) * t +
       0.502974808f) *
          t +
      1.0f;
  const float fitted = std::min(std::max(x * p / q, -1.0f), 1.0f);
  return std::abs(x) >= kSaturation ? std::copysign(1.0f, x) : fitted;
}

}  // namespace

void Erf(const float* in, size_t n, float* out, pthreadpool_t pool) {
  Map(in, n, out, kPolynomialCost, pool, [](float x) { return FastErf(x); });
}

void Gelu(const float* in, size_t n, float* out, pthreadpool_t pool) {
  constexpr float kSqrtHalf = 0.70710678118654752f;
  Map(in, n, out, kPolynomialCost, pool,
      [](float x) { return 0.5f * x * (1.0f + FastErf(x * kSqrtHalf)); });
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
