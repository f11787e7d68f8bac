// Resize of NHWC images, nearest and bilinear (ONNX Resize on the H and W axes, mode "nearest" or
// "linear").
#pragma once

#include <pthreadpool.h>

#include <cstddef>

namespace fruits::model::kernels {

// The input [batch, in_height, in_width, channels] and the output [batch, out_height, out_width,
// channels].
struct ResizeShape {
  size_t batch = 1;
  size_t in_height = 0;
  size_t in_width = 0;
  size_t channels = 0;
  size_t out_height = 0;
  size_t out_width = 0;
  // ONNX Resize's `scales` for H and W when the model gives them (out = floor(in * scale), and the
  // coordinates use the scale); 0: out / in, as when the model gives `sizes`. align_corners
  // ignores them.
  float height_scale = 0;
  float width_scale = 0;
};

// The source pixel of ONNX's nearest mode: its coordinate_transformation_mode and nearest_mode.
enum class NearestMode {
  kAsymmetricFloor,           // floor(x / scale): PyTorch's and Keras' nearest upsampling
  kHalfPixelRoundPreferFloor  // (x + 0.5) / scale - 0.5 rounded, halves down: ONNX's defaults
};

// The source coordinate of ONNX's linear mode (coordinate_transformation_mode).
enum class BilinearMode {
  kHalfPixel,         // (x + 0.5) / scale - 0.5
  kPytorchHalfPixel,  // the same, but 0 when the output length is 1 (align_corners=False)
  kAlignCorners       // x * (in - 1) / (out - 1), 0 when the output length is 1
};

// Source indices are clamped to the image, as ONNX (edge values outside).
// REQUIRES: every size >= 1; in and out do not overlap. A null pool runs on the caller's thread.
void ResizeNearest(const float* in, const ResizeShape& shape, NearestMode mode, float* out,
                   pthreadpool_t pool);

// Source coordinates are clamped to [0, length - 1], then the two nearest pixels of each axis are
// weighted by their distance.
// REQUIRES: every size >= 1; in and out do not overlap. A null pool runs on the caller's thread.
void ResizeBilinear(const float* in, const ResizeShape& shape, BilinearMode mode, float* out,
                    pthreadpool_t pool);

}  // namespace fruits::model::kernels
