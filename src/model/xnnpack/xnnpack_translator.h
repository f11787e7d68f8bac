// Translation of an ONNX graph into a plan for the XNNPACK backend, independent of batch size.
//
// XNNPACK fixes every shape when a runtime is created, so the translation happens once per model
// and the backend builds an executable program from the plan for each batch size it meets
// (xnnpack_program.h). Most operators run in XNNPACK's subgraphs; the ones its 2022 subgraph API
// lacks (Concat, Transpose, Slice, ReduceMean over channels, LayerNormalization, Erf, Tanh, ...)
// run in our own kernels (model/kernels) between them: OnXnnpack() tells which. Convolutions read
// channels-last data ([N, H, W, C] whatever the export's layout), every tensor has the layout its
// producer gives it (tensor_layout.h) and data move only where a consumer needs another one.
// Weights are reordered for XNNPACK (OHWI, depthwise 1HWC), BatchNormalization is folded into the
// Conv before it and activations into the operator before them. The plan owns every weight: a
// runtime keeps pointers into Plan::weights, so the plan must outlive it.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "model/kernels/resize.h"
#include "model/layout.h"
#include "model/onnx_model.h"

namespace fruits::model::xnn {

inline constexpr uint32_t kNoValue = std::numeric_limits<uint32_t>::max();

// How a value's elements are stored.
enum class DataType {
  kFloat,
  // int8 with one scale and zero point for the whole tensor: real = scale * (q - zero_point).
  kQuantized,
  // A static int8 filter with a scale per output channel (zero point 0), and its int32 bias
  // (scale input_scale * filter_scale[c]).
  kChannelQuantized8,
  kChannelQuantized32,
};

struct Value {
  // Physical dimensions (NHWC for rank 4); dims[0] of a batched value is the batch, set per build.
  std::vector<size_t> dims;
  bool batched = true;
  // Index of a static value's data, -1 for a computed one: in Plan::weights for a float value,
  // Plan::int8_weights for kChannelQuantized8, Plan::int32_weights for kChannelQuantized32.
  int weights = -1;
  DataType type = DataType::kFloat;
  // kQuantized.
  float scale = 1;
  int32_t zero_point = 0;
  // kChannelQuantized8 / 32: a scale per channel along dimension channel_dim.
  std::vector<float> channel_scales;
  size_t channel_dim = 0;
};

// Bytes per element of a value of this type.
size_t ElementBytes(DataType type);

enum class OpKind {
  kConvolution,
  kDepthwiseConvolution,
  kFullyConnected,
  kAdd,
  kMultiply,
  kSubtract,
  kDivide,
  kClamp,
  kSigmoid,
  kHardSwish,
  kLeakyRelu,
  kElu,
  kGlobalAveragePool,
  kMaxPool,
  kAveragePool,
  kPad,
  kReshape,
  kSoftmax,
  kSquare,
  kSquareRoot,
  kPRelu,
  // Between float and kQuantized, either way (ONNX's QuantizeLinear, DequantizeLinear).
  kConvert,
  // Our own kernels, outside XNNPACK.
  kTranspose,
  kConcat,
  kSlice,
  kReduceMean,
  kLayerNorm,
  kErf,
  kTanh,
  kPow,
  kResizeNearest,
  kResizeBilinear,
};

// Whether XNNPACK runs the operator; the others are our own kernels.
bool OnXnnpack(OpKind kind);

struct Op {
  OpKind kind = OpKind::kClamp;
  uint32_t input = kNoValue;
  // Second operand of a binary operator, the filter of a convolution / fully connected, the slope
  // of kPRelu, the scale of kLayerNorm.
  uint32_t input2 = kNoValue;
  // Of a convolution, a fully connected or kLayerNorm.
  uint32_t bias = kNoValue;
  uint32_t output = kNoValue;
  std::array<uint32_t, 4> padding{};  // top, right, bottom, left
  std::array<uint32_t, 2> kernel{1, 1};
  std::array<uint32_t, 2> stride{1, 1};
  std::array<uint32_t, 2> dilation{1, 1};
  uint32_t groups = 1;
  size_t group_input_channels = 0;
  size_t group_output_channels = 0;
  float output_min = -std::numeric_limits<float>::infinity();
  float output_max = std::numeric_limits<float>::infinity();
  // kPad: physical paddings before and after each dimension.
  std::vector<size_t> pre_padding;
  std::vector<size_t> post_padding;
  float padding_value = 0;
  // kLeakyRelu: the slope below zero; kElu: alpha; kPow: the exponent; kLayerNorm: epsilon.
  float alpha = 0;
  // kConcat: every input, in order (`input` is the first).
  std::vector<uint32_t> inputs;
  // kTranspose: physical axis i of the output is physical axis permutation[i] of the input.
  std::vector<size_t> permutation;
  // kConcat, kSlice: the physical axis; kReduceMean: the physical axes [axis, axis_end) reduced
  // (kLayerNorm normalises over the last physical axis).
  size_t axis = 0;
  size_t axis_end = 0;
  // kSlice: elements start, start + step, ... (count of them) along `axis`.
  size_t start = 0;
  size_t count = 0;
  size_t step = 1;
  // kResizeNearest, kResizeBilinear: how source pixels are found, and ONNX's scales for H and W
  // when the model gives them (0: output size / input size).
  kernels::NearestMode nearest_mode = kernels::NearestMode::kAsymmetricFloor;
  kernels::BilinearMode bilinear_mode = kernels::BilinearMode::kHalfPixel;
  std::array<float, 2> scales{0, 0};
  // The ONNX node it comes from ("Concat '/features/Concat_3'"), for `fruits model inspect`.
  std::string node;
};

struct Plan {
  std::vector<Value> values;
  std::vector<Op> ops;
  std::vector<std::vector<float>> weights;
  std::vector<std::vector<int8_t>> int8_weights;
  std::vector<std::vector<int32_t>> int32_weights;
  uint32_t input = kNoValue;
  uint32_t output = kNoValue;
  // The tensor Run() takes: always NHWC.
  ImageInput image;
  int64_t feature_dim = 0;
  // Float values every program keeps whole until its run ends, one per tensor Translate() was
  // asked to observe, in that order (calibration reads them).
  std::vector<uint32_t> observed;
  // What the translation did to the graph, one line each ("BatchNormalization folded ...: 52"),
  // and which nodes run outside XNNPACK.
  std::vector<std::string> facts;
};

struct Translation {
  std::optional<Plan> plan;
  // Why the graph cannot run, naming the operator and the node; empty when plan is set.
  std::string refusal;
};

// Throws nothing for a graph it cannot run or read, a malformed one included: the refusal says
// why. REQUIRES: the model is cut at its feature layer and its input size is fixed. `observe`
// names tensors to keep whole (Plan::observed): nothing is fused into their producers.
//
// A QDQ model (QuantizeLinear -> DequantizeLinear pairs, int8 weights through
// DequantizeLinear) runs in int8 where XNNPACK's 2022 operators allow: a convolution (depthwise
// too) whose input is quantized, whose weights are int8 symmetric (per channel or per tensor)
// and whose output (after a fused Relu or Clip) goes to a QuantizeLinear; Add, Mul and Sub of
// two quantized tensors laid out alike; the global average pool. Every other operator reads and
// writes float: the quantized tensors it touches are converted, once each, inside XNNPACK.
// uint8 activations are read as the int8 values that stand for the same numbers.
Translation Translate(const OnnxModel& model, const std::vector<std::string>& observe = {});

}  // namespace fruits::model::xnn
