// Splitting a kernel's independent items (rows, blocks of rows) over a pthreadpool.
//
// Every kernel computes each item the same way whichever range holds it, so its results do not
// depend on the pool or its thread count.
#pragma once

#include <pthreadpool.h>

#include <algorithm>
#include <cstddef>

namespace fruits::model::kernels {

// Work (elements touched, weighted by their cost) below which handing a range to the pool costs
// more than it saves.
inline constexpr size_t kMinParallelWork = 16 * 1024;

// Relative cost of an element of a transcendental function (erf, tanh, exp, pow) against a copy.
inline constexpr size_t kTranscendentalCost = 8;

// Runs body(begin, end) on contiguous ranges covering the items [0, count) once each: on the pool's
// threads when count * work_per_item is worth it, else (or with a null pool) on the caller's
// thread.
template <class Body>
void ParallelFor(pthreadpool_t pool, size_t count, size_t work_per_item, const Body& body) {
  if (count == 0) return;
  const size_t work = std::max<size_t>(work_per_item, 1);
  const size_t threads = pool == nullptr ? 1 : pthreadpool_get_threads_count(pool);
  if (threads <= 1 || count < 2 || count * work < 2 * kMinParallelWork) {
    body(size_t{0}, count);
    return;
  }
  // A few ranges per thread even out uneven threads; none so small that scheduling dominates.
  const size_t min_tile = (kMinParallelWork + work - 1) / work;
  const size_t tile = std::max(min_tile, (count + 4 * threads - 1) / (4 * threads));
  pthreadpool_parallelize_1d_tile_1d(
      pool, [&body](size_t start, size_t size) { body(start, start + size); }, count, tile);
}

}  // namespace fruits::model::kernels
