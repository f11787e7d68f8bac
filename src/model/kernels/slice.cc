#include "model/kernels/slice.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {
namespace {

// Copies `rows` rows of `row_length` floats lying `stride` floats apart in src to consecutive rows
// of dst.
void CopyStridedRows(const float* src, size_t stride, size_t rows, size_t row_length, float* dst) {
  if (stride == row_length) {
    std::memcpy(dst, src, rows * row_length * sizeof(float));
  } else if (row_length == 1) {
    for (size_t r = 0; r < rows; ++r) dst[r] = src[r * stride];
  } else {
    for (size_t r = 0; r < rows; ++r) {
      std::memcpy(dst + r * row_length, src + r * stride, row_length * sizeof(float));
    }
  }
}

}  // namespace

void Slice(const float* in, std::span<const size_t> dims, size_t axis, size_t start, size_t count,
           size_t step, float* out, pthreadpool_t pool) {
  assert(axis < dims.size() && step >= 1);
  assert(count == 0 || start + (count - 1) * step < dims[axis]);
  // Viewed as [outer, length, inner]; the items are the output's (outer, k) rows of `inner`.
  size_t outer = 1;
  for (size_t k = 0; k < axis; ++k) outer *= dims[k];
  size_t inner = 1;
  for (size_t k = axis + 1; k < dims.size(); ++k) inner *= dims[k];
  const size_t length = dims[axis];
  ParallelFor(pool, outer * count, inner, [&](size_t begin, size_t end) {
    size_t o = begin / count;
    size_t k = begin % count;
    for (size_t item = begin; item < end; ++o, k = 0) {
      const size_t rows = std::min(count - k, end - item);
      CopyStridedRows(in + (o * length + start + k * step) * inner, step * inner, rows, inner,
                      out + item * inner);
      item += rows;
    }
  });
}

}  // namespace fruits::model::kernels
