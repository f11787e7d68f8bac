#include "model/kernels/concat.h"

#include <cassert>
#include <cstring>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {

void Concat(std::span<const float* const> inputs, std::span<const std::vector<size_t>> dims,
            size_t axis, float* out, pthreadpool_t pool) {
  assert(!inputs.empty() && inputs.size() == dims.size() && axis < dims[0].size());
  // Viewed as [outer, part] per input: an output row is the inputs' parts one after the other.
  size_t outer = 1;
  for (size_t k = 0; k < axis; ++k) outer *= dims[0][k];
  std::vector<size_t> parts(inputs.size(), 1);
  size_t row_length = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    assert(dims[i].size() == dims[0].size());
    for (size_t k = axis; k < dims[i].size(); ++k) parts[i] *= dims[i][k];
    row_length += parts[i];
  }
  ParallelFor(pool, outer, row_length, [&](size_t begin, size_t end) {
    for (size_t row = begin; row < end; ++row) {
      float* dst = out + row * row_length;
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (parts[i] == 0) continue;  // an empty input may have no buffer at all
        std::memcpy(dst, inputs[i] + row * parts[i], parts[i] * sizeof(float));
        dst += parts[i];
      }
    }
  });
}

}  // namespace fruits::model::kernels
