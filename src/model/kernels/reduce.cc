#include "model/kernels/reduce.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {
namespace {

// Output columns one item of the [outer, inner] case accumulates: a few KiB, so a large channel
// count at batch 1 still spreads over the threads.
constexpr size_t kColumnBlock = 256;
// Interleaved partial results when reducing a contiguous run: the compiler vectorises them.
constexpr size_t kLanes = 8;

struct Add {
  float operator()(float a, float b) const { return a + b; }
};
struct Max {
  float operator()(float a, float b) const { return std::max(a, b); }
};

// Combines the n contiguous values of x (n >= 1).
template <class Op>
float ReduceContiguous(const float* x, size_t n, Op op) {
  if (n < kLanes) {
    float result = x[0];
    for (size_t i = 1; i < n; ++i) result = op(result, x[i]);
    return result;
  }
  float lanes[kLanes];
  std::copy_n(x, kLanes, lanes);
  size_t i = kLanes;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) lanes[l] = op(lanes[l], x[i + l]);
  }
  for (size_t l = 0; i < n; ++i, ++l) lanes[l] = op(lanes[l], x[i]);
  for (size_t width = kLanes / 2; width > 0; width /= 2) {
    for (size_t l = 0; l < width; ++l) lanes[l] = op(lanes[l], lanes[l + width]);
  }
  return lanes[0];
}

// out[o, i] = op over r of in[o, r, i], times multiplier (1 / reduced for a mean).
template <class Op>
void Reduce(const float* in, size_t outer, size_t reduced, size_t inner, float multiplier,
            float* out, pthreadpool_t pool) {
  assert(reduced >= 1);
  const auto finish = [multiplier](float* values, size_t n) {
    if (multiplier == 1.0f) return;
    for (size_t i = 0; i < n; ++i) values[i] *= multiplier;
  };
  if (inner == 1) {
    ParallelFor(pool, outer, reduced, [&](size_t begin, size_t end) {
      for (size_t o = begin; o < end; ++o)
        out[o] = ReduceContiguous(in + o * reduced, reduced, Op());
      finish(out + begin, end - begin);
    });
    return;
  }
  // Rows of `inner` combined element-wise into the output row, which is the accumulator.
  const size_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  ParallelFor(pool, outer * blocks, reduced * kColumnBlock, [&](size_t begin, size_t end) {
    const Op op;
    for (size_t item = begin; item < end; ++item) {
      const size_t o = item / blocks;
      const size_t column = item % blocks * kColumnBlock;
      const size_t width = std::min(kColumnBlock, inner - column);
      const float* src = in + o * reduced * inner + column;
      float* dst = out + o * inner + column;
      std::memcpy(dst, src, width * sizeof(float));
      for (size_t r = 1; r < reduced; ++r) {
        const float* row = src + r * inner;
        for (size_t i = 0; i < width; ++i) dst[i] = op(dst[i], row[i]);
      }
      finish(dst, width);
    }
  });
}

}  // namespace

void ReduceMean(const float* in, size_t outer, size_t reduced, size_t inner, float* out,
                pthreadpool_t pool) {
  Reduce<Add>(in, outer, reduced, inner, 1.0f / static_cast<float>(reduced), out, pool);
}

void ReduceSum(const float* in, size_t outer, size_t reduced, size_t inner, float* out,
               pthreadpool_t pool) {
  Reduce<Add>(in, outer, reduced, inner, 1.0f, out, pool);
}

void ReduceMax(const float* in, size_t outer, size_t reduced, size_t inner, float* out,
               pthreadpool_t pool) {
  Reduce<Max>(in, outer, reduced, inner, 1.0f, out, pool);
}

}  // namespace fruits::model::kernels
