#include "model/kernels/resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "model/kernels/parallel.h"

namespace fruits::model::kernels {
namespace {

// One axis of a resize: the input and output lengths and the model's scale (0: out / in).
struct AxisResize {
  size_t in = 0;
  size_t out = 0;
  float scale = 0;

  // x / scale in double; from the sizes as x * in / out, whose exact halves stay exact.
  double Divide(double x) const {
    return scale != 0 ? x / scale : x * static_cast<double>(in) / static_cast<double>(out);
  }
  double HalfPixel(size_t x) const { return Divide(static_cast<double>(x) + 0.5) - 0.5; }
};

size_t Clamp(double coordinate, size_t length) {
  if (coordinate <= 0) return 0;
  return std::min(static_cast<size_t>(coordinate), length - 1);
}

// The source index of each output index along one axis.
std::vector<size_t> NearestIndices(const AxisResize& axis, NearestMode mode) {
  std::vector<size_t> indices(axis.out);
  for (size_t x = 0; x < axis.out; ++x) {
    // round_prefer_floor(v) is ceil(v - 0.5): halves go down, everything else to the nearest.
    const double source = mode == NearestMode::kAsymmetricFloor
                              ? std::floor(axis.Divide(static_cast<double>(x)))
                              : std::ceil(axis.HalfPixel(x) - 0.5);
    indices[x] = Clamp(source, axis.in);
  }
  return indices;
}

// An output index's two source indices along one axis and the weight of the second.
struct LinearTap {
  size_t first = 0;
  size_t second = 0;
  float weight = 0;
};

std::vector<LinearTap> LinearTaps(const AxisResize& axis, BilinearMode mode) {
  std::vector<LinearTap> taps(axis.out);
  for (size_t x = 0; x < axis.out; ++x) {
    double source = 0;
    if (mode == BilinearMode::kAlignCorners) {
      if (axis.out > 1) {
        source = static_cast<double>(x) * static_cast<double>(axis.in - 1) /
                 static_cast<double>(axis.out - 1);
      }
    } else if (mode == BilinearMode::kHalfPixel || axis.out > 1) {
      source = axis.HalfPixel(x);
    }
    source = std::clamp(source, 0.0, static_cast<double>(axis.in - 1));
    LinearTap& tap = taps[x];
    tap.first = static_cast<size_t>(source);
    tap.second = std::min(tap.first + 1, axis.in - 1);
    tap.weight = static_cast<float>(source - static_cast<double>(tap.first));
  }
  return taps;
}

AxisResize Height(const ResizeShape& shape) {
  return {shape.in_height, shape.out_height, shape.height_scale};
}
AxisResize Width(const ResizeShape& shape) {
  return {shape.in_width, shape.out_width, shape.width_scale};
}

}  // namespace

void ResizeNearest(const float* in, const ResizeShape& shape, NearestMode mode, float* out,
                   pthreadpool_t pool) {
  const std::vector<size_t> rows = NearestIndices(Height(shape), mode);
  const std::vector<size_t> columns = NearestIndices(Width(shape), mode);
  const size_t channels = shape.channels;
  const size_t in_row = shape.in_width * channels;
  const size_t out_row = shape.out_width * channels;
  ParallelFor(pool, shape.batch * shape.out_height, out_row, [&](size_t begin, size_t end) {
    for (size_t item = begin; item < end; ++item) {
      const size_t image = item / shape.out_height;
      const size_t y = item % shape.out_height;
      float* dst = out + item * out_row;
      // Upsampling repeats source rows: copy the row just written.
      if (item > begin && y > 0 && rows[y] == rows[y - 1]) {
        std::memcpy(dst, dst - out_row, out_row * sizeof(float));
        continue;
      }
      const float* src = in + (image * shape.in_height + rows[y]) * in_row;
      for (size_t x = 0; x < shape.out_width; ++x) {
        std::memcpy(dst + x * channels, src + columns[x] * channels, channels * sizeof(float));
      }
    }
  });
}

void ResizeBilinear(const float* in, const ResizeShape& shape, BilinearMode mode, float* out,
                    pthreadpool_t pool) {
  const std::vector<LinearTap> rows = LinearTaps(Height(shape), mode);
  const std::vector<LinearTap> columns = LinearTaps(Width(shape), mode);
  const size_t channels = shape.channels;
  const size_t in_row = shape.in_width * channels;
  const size_t out_row = shape.out_width * channels;
  ParallelFor(pool, shape.batch * shape.out_height, 4 * out_row, [&](size_t begin, size_t end) {
    for (size_t item = begin; item < end; ++item) {
      const size_t image = item / shape.out_height;
      const LinearTap& row = rows[item % shape.out_height];
      const float* top = in + (image * shape.in_height + row.first) * in_row;
      const float* bottom = in + (image * shape.in_height + row.second) * in_row;
      float* dst = out + item * out_row;
      for (size_t x = 0; x < shape.out_width; ++x, dst += channels) {
        const LinearTap& column = columns[x];
        const float* top_left = top + column.first * channels;
        const float* top_right = top + column.second * channels;
        const float* bottom_left = bottom + column.first * channels;
        const float* bottom_right = bottom + column.second * channels;
        for (size_t c = 0; c < channels; ++c) {
          const float upper = top_left[c] + (top_right[c] - top_left[c]) * column.weight;
          const float lower = bottom_left[c] + (bottom_right[c] - bottom_left[c]) * column.weight;
          dst[c] = upper + (lower - upper) * row.weight;
        }
      }
    }
  });
}

}  // namespace fruits::model::kernels
