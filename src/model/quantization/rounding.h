// The rounding of ONNX's QuantizeLinear, shared by the QDQ rewrite (writing int8 weights and int32
// biases) and the XNNPACK translation (reading them back): round half to even, then saturate.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

namespace fruits::model::quantization {

// `value` rounded half to even (the default rounding mode) and clamped to [lo, hi], T's range
// unless narrower bounds are given (symmetric int8 weights stop at -127). A NaN (a NaN weight or
// bias in the file, or 0/0) becomes 0: ONNX leaves it undefined, and no integer stands for it.
template <typename T>
T RoundSaturated(double value, double lo = std::numeric_limits<T>::min(),
                 double hi = std::numeric_limits<T>::max()) {
  if (std::isnan(value)) return 0;
  return static_cast<T>(std::clamp(std::nearbyint(value), lo, hi));
}

}  // namespace fruits::model::quantization
