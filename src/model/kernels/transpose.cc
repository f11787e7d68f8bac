#include "model/kernels/transpose.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {
namespace {

constexpr size_t kMaxRank = 6;
// Side of the square blocks of the 2-D transpose: 32 x 32 floats (4 KiB) read and written stay in
// L1 together.
constexpr size_t kBlock = 32;

// A transpose on its fewest axes: the same data movement as the one asked for.
struct Problem {
  size_t rank = 0;
  std::array<size_t, kMaxRank> dims{};  // input dims
  std::array<size_t, kMaxRank> perm{};  // output axis -> input axis
};

// Drops the axes of size 1 and merges input axes that the output keeps adjacent and in order.
Problem Simplify(std::span<const size_t> dims, std::span<const size_t> perm) {
  std::array<size_t, kMaxRank> kept_index{};  // input axis -> its index among the kept axes
  std::array<size_t, kMaxRank> kept_dims{};
  size_t kept = 0;
  for (size_t axis = 0; axis < dims.size(); ++axis) {
    if (dims[axis] == 1) continue;
    kept_index[axis] = kept;
    kept_dims[kept++] = dims[axis];
  }
  std::array<size_t, kMaxRank> kept_perm{};
  size_t position = 0;
  for (size_t axis : perm) {
    if (dims[axis] != 1) kept_perm[position++] = kept_index[axis];
  }
  // Groups of consecutive input axes, in output order: each group's first input axis and size.
  std::array<size_t, kMaxRank> group_first{};
  std::array<size_t, kMaxRank> group_size{};
  size_t groups = 0;
  for (size_t i = 0; i < kept; ++i) {
    if (i > 0 && kept_perm[i] == kept_perm[i - 1] + 1) {
      group_size[groups - 1] *= kept_dims[kept_perm[i]];
    } else {
      group_first[groups] = kept_perm[i];
      group_size[groups] = kept_dims[kept_perm[i]];
      ++groups;
    }
  }
  // A group's input axis is its rank among the groups' first input axes.
  Problem problem;
  problem.rank = groups;
  for (size_t g = 0; g < groups; ++g) {
    size_t input_axis = 0;
    for (size_t h = 0; h < groups; ++h) input_axis += group_first[h] < group_first[g];
    problem.perm[g] = input_axis;
    problem.dims[input_axis] = group_size[g];
  }
  return problem;
}

// One axis walked by an Odometer: its size and the strides of a step along it in and out.
struct Axis {
  size_t size = 1;
  size_t in_stride = 0;
  size_t out_stride = 0;
};

// A row-major multi-index over a few axes that keeps the input and output offsets it points at:
// positioned once with divisions, then each step costs a few adds.
class Odometer {
 public:
  Odometer(std::span<const Axis> axes, size_t linear) : rank_(axes.size()) {
    std::copy(axes.begin(), axes.end(), axes_.begin());
    for (size_t k = rank_; k-- > 0;) {
      index_[k] = linear % axes_[k].size;
      linear /= axes_[k].size;
      in_offset_ += index_[k] * axes_[k].in_stride;
      out_offset_ += index_[k] * axes_[k].out_stride;
    }
  }

  size_t in_offset() const { return in_offset_; }
  size_t out_offset() const { return out_offset_; }

  void Next() {
    for (size_t k = rank_; k-- > 0;) {
      in_offset_ += axes_[k].in_stride;
      out_offset_ += axes_[k].out_stride;
      if (++index_[k] < axes_[k].size) return;
      in_offset_ -= axes_[k].size * axes_[k].in_stride;
      out_offset_ -= axes_[k].size * axes_[k].out_stride;
      index_[k] = 0;
    }
  }

 private:
  size_t rank_;
  std::array<Axis, kMaxRank> axes_{};
  std::array<size_t, kMaxRank> index_{};
  size_t in_offset_ = 0;
  size_t out_offset_ = 0;
};

// out[j * out_stride + i] = in[i * in_stride + j] for i < rows, j < columns. The inner loop runs
// along the longer side, so a narrow side (a shuffle's 2 groups) is never the vectorised loop.
void TransposeBlock(const float* in, size_t in_stride, size_t rows, size_t columns, float* out,
                    size_t out_stride) {
  if (rows < columns) {
    for (size_t i = 0; i < rows; ++i) {
      const float* src = in + i * in_stride;
      float* dst = out + i;
      for (size_t j = 0; j < columns; ++j) dst[j * out_stride] = src[j];
    }
  } else {
    for (size_t j = 0; j < columns; ++j) {
      const float* src = in + j;
      float* dst = out + j * out_stride;
      for (size_t i = 0; i < rows; ++i) dst[i] = src[i * in_stride];
    }
  }
}

// The last input axis stays last: whole rows are copied, the odometer walks the other axes.
void CopyRows(const float* in, const Problem& problem, std::span<const size_t> in_strides,
              float* out, pthreadpool_t pool) {
  const size_t row_length = problem.dims[problem.rank - 1];
  std::array<Axis, kMaxRank> axes{};
  size_t rows = 1;
  for (size_t k = 0; k + 1 < problem.rank; ++k) {
    axes[k] = {problem.dims[problem.perm[k]], in_strides[problem.perm[k]], 0};
    rows *= axes[k].size;
  }
  const std::span<const Axis> outer(axes.data(), problem.rank - 1);
  ParallelFor(pool, rows, row_length, [&](size_t begin, size_t end) {
    Odometer odometer(outer, begin);
    for (size_t row = begin; row < end; ++row, odometer.Next()) {
      std::memcpy(out + row * row_length, in + odometer.in_offset(), row_length * sizeof(float));
    }
  });
}

// The last input axis moves: a blocked 2-D transpose of the input's last axis and the output's
// last axis for each index of the other axes. Items are (index of the others, block of output
// columns), so one large 2-D transpose still spreads over the threads.
void TransposePlanes(const float* in, const Problem& problem, std::span<const size_t> in_strides,
                     float* out, pthreadpool_t pool) {
  const size_t rank = problem.rank;
  std::array<size_t, kMaxRank> out_strides{};
  out_strides[rank - 1] = 1;
  for (size_t k = rank - 1; k-- > 0;) {
    out_strides[k] = out_strides[k + 1] * problem.dims[problem.perm[k + 1]];
  }
  // Rows of the plane: the output's last axis (contiguous out). Columns: the input's last axis.
  const size_t rows = problem.dims[problem.perm[rank - 1]];
  const size_t row_in_stride = in_strides[problem.perm[rank - 1]];
  const size_t columns = problem.dims[rank - 1];
  size_t column_out_stride = 0;
  std::array<Axis, kMaxRank> axes{};
  size_t others = 0;
  size_t planes = 1;
  for (size_t k = 0; k + 1 < rank; ++k) {
    const size_t axis = problem.perm[k];
    if (axis == rank - 1) {
      column_out_stride = out_strides[k];
      continue;
    }
    axes[others++] = {problem.dims[axis], in_strides[axis], out_strides[k]};
    planes *= problem.dims[axis];
  }
  const std::span<const Axis> outer(axes.data(), others);
  const size_t row_blocks = (rows + kBlock - 1) / kBlock;
  ParallelFor(pool, planes * row_blocks, kBlock * columns, [&](size_t begin, size_t end) {
    Odometer odometer(outer, begin / row_blocks);
    size_t row_block = begin % row_blocks;
    for (size_t item = begin; item < end; ++item) {
      const size_t row = row_block * kBlock;
      const size_t block_rows = std::min(kBlock, rows - row);
      for (size_t column = 0; column < columns; column += kBlock) {
        TransposeBlock(in + odometer.in_offset() + row * row_in_stride + column, row_in_stride,
                       block_rows, std::min(kBlock, columns - column),
                       out + odometer.out_offset() + column * column_out_stride + row,
                       column_out_stride);
      }
      if (++row_block == row_blocks) {
        row_block = 0;
        odometer.Next();
      }
    }
  });
}

}  // namespace

void Transpose(const float* in, std::span<const size_t> dims, std::span<const size_t> perm,
               float* out, pthreadpool_t pool) {
  assert(!dims.empty() && dims.size() <= kMaxRank && perm.size() == dims.size());
  size_t total = 1;
  for (size_t size : dims) total *= size;
  if (total == 0) return;
  const Problem problem = Simplify(dims, perm);
  if (problem.rank <= 1) {  // the identity
    ParallelFor(pool, total, 1, [&](size_t begin, size_t end) {
      std::memcpy(out + begin, in + begin, (end - begin) * sizeof(float));
    });
    return;
  }
  std::array<size_t, kMaxRank> in_strides{};
  in_strides[problem.rank - 1] = 1;
  for (size_t k = problem.rank - 1; k-- > 0;) {
    in_strides[k] = in_strides[k + 1] * problem.dims[k + 1];
  }
  const std::span<const size_t> strides(in_strides.data(), problem.rank);
  if (problem.perm[problem.rank - 1] == problem.rank - 1) {
    CopyRows(in, problem, strides, out, pool);
  } else {
    TransposePlanes(in, problem, strides, out, pool);
  }
}

}  // namespace fruits::model::kernels
