#include "model/xnnpack/xnnpack_program.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <numeric>
#include <string>

#include "model/kernels/concat.h"
#include "model/kernels/elementwise.h"
#include "model/kernels/layer_norm.h"
#include "model/kernels/reduce.h"
#include "model/kernels/resize.h"
#include "model/kernels/slice.h"
#include "model/kernels/transpose.h"
#include "util/error.h"

namespace fruits::model::xnn {

namespace {

struct RuntimeDeleter {
  void operator()(xnn_runtime* runtime) const { xnn_delete_runtime(runtime); }
};
struct SubgraphDeleter {
  void operator()(xnn_subgraph* subgraph) const { xnn_delete_subgraph(subgraph); }
};
using RuntimePtr = std::unique_ptr<xnn_runtime, RuntimeDeleter>;
using SubgraphPtr = std::unique_ptr<xnn_subgraph, SubgraphDeleter>;

void Check(xnn_status status, const std::string& what) {
  if (status != xnn_status_success) {
    throw Error("XNNPACK fails to " + what + " (status " + std::to_string(status) + ")");
  }
}

size_t Elements(const std::vector<size_t>& dims) {
  return std::accumulate(dims.begin(), dims.end(), size_t{1}, std::multiplies<>());
}

// The plan values an operator reads.
std::vector<uint32_t> Reads(const Op& op) {
  std::vector<uint32_t> reads = op.inputs.empty() ? std::vector<uint32_t>{op.input} : op.inputs;
  for (uint32_t value : {op.input2, op.bias}) {
    if (value != kNoValue) reads.push_back(value);
  }
  return reads;
}

xnn_status DefineOp(xnn_subgraph_t s, const Op& op, const std::vector<uint32_t>& ids,
                    const std::vector<size_t>& output_dims) {
  const uint32_t in = ids[op.input], out = ids[op.output];
  const uint32_t in2 = op.input2 == kNoValue ? XNN_INVALID_VALUE_ID : ids[op.input2];
  const uint32_t bias = op.bias == kNoValue ? XNN_INVALID_VALUE_ID : ids[op.bias];
  const auto& p = op.padding;
  const float lo = op.output_min, hi = op.output_max;
  switch (op.kind) {
    case OpKind::kConvolution:
      return xnn_define_convolution_2d(s, p[0], p[1], p[2], p[3], op.kernel[0], op.kernel[1],
                                       op.stride[0], op.stride[1], op.dilation[0], op.dilation[1],
                                       op.groups, op.group_input_channels, op.group_output_channels,
                                       lo, hi, in, in2, bias, out, 0);
    case OpKind::kDepthwiseConvolution:
      return xnn_define_depthwise_convolution_2d(
          s, p[0], p[1], p[2], p[3], op.kernel[0], op.kernel[1], op.stride[0], op.stride[1],
          op.dilation[0], op.dilation[1], 1, op.groups, lo, hi, in, in2, bias, out, 0);
    case OpKind::kFullyConnected:
      return xnn_define_fully_connected(s, lo, hi, in, in2, bias, out, 0);
    case OpKind::kAdd:
      return xnn_define_add2(s, lo, hi, in, in2, out, 0);
    case OpKind::kMultiply:
      return xnn_define_multiply2(s, lo, hi, in, in2, out, 0);
    case OpKind::kSubtract:
      return xnn_define_subtract(s, lo, hi, in, in2, out, 0);
    case OpKind::kDivide:
      return xnn_define_divide(s, lo, hi, in, in2, out, 0);
    case OpKind::kClamp:
      return xnn_define_clamp(s, lo, hi, in, out, 0);
    case OpKind::kSigmoid:
      return xnn_define_sigmoid(s, in, out, 0);
    case OpKind::kHardSwish:
      return xnn_define_hardswish(s, in, out, 0);
    case OpKind::kLeakyRelu:
      return xnn_define_leaky_relu(s, op.alpha, in, out, 0);
    case OpKind::kElu:
      return xnn_define_elu(s, op.alpha, in, out, 0);
    case OpKind::kGlobalAveragePool:
      return xnn_define_global_average_pooling_2d(s, lo, hi, in, out, 0);
    case OpKind::kMaxPool:
      return xnn_define_max_pooling_2d(s, p[0], p[1], p[2], p[3], op.kernel[0], op.kernel[1],
                                       op.stride[0], op.stride[1], op.dilation[0], op.dilation[1],
                                       lo, hi, in, out, 0);
    case OpKind::kAveragePool:
      return xnn_define_average_pooling_2d(s, p[0], p[1], p[2], p[3], op.kernel[0], op.kernel[1],
                                           op.stride[0], op.stride[1], lo, hi, in, out, 0);
    case OpKind::kPad:
      return xnn_define_static_constant_pad(s, op.pre_padding.data(), op.post_padding.data(),
                                            op.padding_value, in, out, 0);
    case OpKind::kReshape:
      return xnn_define_static_reshape(s, output_dims.size(), output_dims.data(), in, out, 0);
    case OpKind::kSoftmax:
      return xnn_define_softmax(s, in, out, 0);
    case OpKind::kSquare:
      return xnn_define_square(s, in, out, 0);
    case OpKind::kSquareRoot:
      return xnn_define_square_root(s, in, out, 0);
    case OpKind::kPRelu:
      return xnn_define_prelu(s, in, in2, out, 0);
    case OpKind::kConvert:
      return xnn_define_convert(s, in, out, 0);
    default:
      return xnn_status_invalid_parameter;
  }
}

// Defines a plan value in the subgraph: float, int8 with its parameters, or static int8 / int32
// weights with a scale per channel.
xnn_status DefineValue(xnn_subgraph_t s, const Plan& plan, const Value& v,
                       const std::vector<size_t>& dims, uint32_t external, uint32_t flags,
                       uint32_t* id) {
  switch (v.type) {
    case DataType::kFloat:
      return xnn_define_tensor_value(s, xnn_datatype_fp32, dims.size(), dims.data(),
                                     v.weights >= 0 ? plan.weights[v.weights].data() : nullptr,
                                     external, flags, id);
    case DataType::kQuantized:
      return xnn_define_quantized_tensor_value(s, xnn_datatype_qint8, v.zero_point, v.scale,
                                               dims.size(), dims.data(), nullptr, external, flags,
                                               id);
    case DataType::kChannelQuantized8:
      return xnn_define_channelwise_quantized_tensor_value(
          s, xnn_datatype_qcint8, v.channel_scales.data(), dims.size(), v.channel_dim, dims.data(),
          plan.int8_weights[v.weights].data(), external, flags, id);
    case DataType::kChannelQuantized32:
      return xnn_define_channelwise_quantized_tensor_value(
          s, xnn_datatype_qcint32, v.channel_scales.data(), dims.size(), v.channel_dim, dims.data(),
          plan.int32_weights[v.weights].data(), external, flags, id);
  }
  return xnn_status_invalid_parameter;
}

}  // namespace

void InitializeXnnpack() { Check(xnn_initialize(nullptr), "initialise"); }

struct Program::Island {
  RuntimePtr runtime;
};

Program::Program(const Plan& plan, pthreadpool_t pool, size_t batch)
    : plan_(plan), pool_(pool), batch_(batch) {
  dims_.reserve(plan.values.size());
  for (const Value& value : plan.values) {
    dims_.push_back(value.dims);
    if (value.batched) dims_.back()[0] = batch;
  }
  PlanSteps();
  PlanBuffers();
  BuildIslands();
}

Program::~Program() = default;

void Program::PlanSteps() {
  produced_at_.assign(plan_.values.size(), -1);
  last_read_at_.assign(plan_.values.size(), -1);
  for (size_t i = 0; i < plan_.ops.size(); ++i) {
    const Op& op = plan_.ops[i];
    const bool on_xnnpack = OnXnnpack(op.kind);
    if (!on_xnnpack) {
      steps_.push_back({false, i});
    } else if (steps_.empty() || !steps_.back().on_xnnpack) {
      steps_.push_back({true, island_ops_.size()});
      island_ops_.emplace_back();
    }
    if (on_xnnpack) island_ops_.back().push_back(i);
    const int step = static_cast<int>(steps_.size()) - 1;
    produced_at_[op.output] = step;
    for (uint32_t value : Reads(op)) last_read_at_[value] = std::max(last_read_at_[value], step);
  }
  last_read_at_[plan_.output] = static_cast<int>(steps_.size());
  for (uint32_t value : plan_.observed) last_read_at_[value] = static_cast<int>(steps_.size());
}

// Buffers for the values that cross between steps, the plan's input and output included; a
// buffer is reused by a later value once every reader of its value has run. Each holds
// XNN_EXTRA_BYTES more: XNNPACK's kernels may read that far past an input.
void Program::PlanBuffers() {
  data_.assign(plan_.values.size(), nullptr);
  std::vector<bool> crosses(plan_.values.size(), false);
  crosses[plan_.input] = crosses[plan_.output] = true;
  for (uint32_t value : plan_.observed) crosses[value] = true;
  for (size_t i = 0; i < plan_.ops.size(); ++i) {
    const Op& op = plan_.ops[i];
    for (uint32_t value : Reads(op)) {
      if (plan_.values[value].weights < 0 && produced_at_[value] != produced_at_[op.output]) {
        crosses[value] = true;
      }
    }
    if (!OnXnnpack(op.kind)) crosses[op.output] = true;
  }
  std::vector<size_t> free_buffers;
  std::vector<size_t> buffer_of(plan_.values.size(), 0);
  auto allocate = [&](uint32_t value) {
    const size_t bytes = Elements(dims_[value]) * ElementBytes(plan_.values[value].type);
    const size_t need = (bytes + XNN_EXTRA_BYTES + sizeof(float) - 1) / sizeof(float);
    auto best = free_buffers.end();
    for (auto it = free_buffers.begin(); it != free_buffers.end(); ++it) {
      const size_t size = buffers_[*it].size();
      if (size >= need && (best == free_buffers.end() || size < buffers_[*best].size())) best = it;
    }
    if (best == free_buffers.end()) {
      buffers_.emplace_back(need);
      buffer_of[value] = buffers_.size() - 1;
    } else {
      buffer_of[value] = *best;
      free_buffers.erase(best);
    }
    data_[value] = buffers_[buffer_of[value]].data();
  };
  // std::vector's storage does not move when the outer vector grows: reserve keeps it so.
  buffers_.reserve(plan_.values.size());
  allocate(plan_.input);
  for (int step = 0; step < static_cast<int>(steps_.size()); ++step) {
    for (uint32_t value = 0; value < plan_.values.size(); ++value) {
      if (crosses[value] && data_[value] != nullptr && last_read_at_[value] == step - 1 &&
          produced_at_[value] < step) {
        free_buffers.push_back(buffer_of[value]);
      }
    }
    for (uint32_t value = 0; value < plan_.values.size(); ++value) {
      if (crosses[value] && produced_at_[value] == step && value != plan_.input) allocate(value);
    }
  }
}

void Program::BuildIslands() {
  for (size_t island = 0; island < island_ops_.size(); ++island) {
    // Values the island touches: the ones with a buffer are its external values.
    std::vector<uint32_t> touched;
    for (size_t i : island_ops_[island]) {
      for (uint32_t value : Reads(plan_.ops[i])) touched.push_back(value);
      touched.push_back(plan_.ops[i].output);
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    const auto external_count =
        std::count_if(touched.begin(), touched.end(), [&](uint32_t value) { return data_[value]; });
    xnn_subgraph_t raw = nullptr;
    Check(xnn_create_subgraph(static_cast<uint32_t>(external_count), 0, &raw), "create a subgraph");
    SubgraphPtr subgraph(raw);
    std::vector<uint32_t> ids(plan_.values.size(), XNN_INVALID_VALUE_ID);
    std::vector<xnn_external_value> externals;
    const int step = produced_at_[plan_.ops[island_ops_[island].front()].output];
    for (uint32_t value : touched) {
      uint32_t external = XNN_INVALID_VALUE_ID, flags = 0;
      if (data_[value] != nullptr) {
        external = static_cast<uint32_t>(externals.size());
        externals.push_back({external, data_[value]});
        flags = produced_at_[value] == step ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT
                                            : XNN_VALUE_FLAG_EXTERNAL_INPUT;
      }
      Check(
          DefineValue(raw, plan_, plan_.values[value], dims_[value], external, flags, &ids[value]),
          "define a tensor");
    }
    for (size_t i : island_ops_[island]) {
      const Op& op = plan_.ops[i];
      Check(DefineOp(raw, op, ids, dims_[op.output]), "define " + op.node);
    }
    xnn_runtime_t runtime = nullptr;
    Check(xnn_create_runtime_v2(raw, pool_, 0, &runtime),
          "create a runtime for batches of " + std::to_string(batch_));
    auto built = std::make_unique<Island>();
    built->runtime.reset(runtime);
    Check(xnn_setup_runtime(runtime, externals.size(), externals.data()),
          "set up a batch of " + std::to_string(batch_));
    islands_.push_back(std::move(built));
  }
}

int64_t Program::Run(const float* images, float* features) {
  std::memcpy(data_[plan_.input], images, Elements(dims_[plan_.input]) * sizeof(float));
  int64_t own_nanoseconds = 0;
  for (const Step& step : steps_) {
    if (step.on_xnnpack) {
      Check(xnn_invoke_runtime(islands_[step.index]->runtime.get()),
            "run a batch of " + std::to_string(batch_));
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    RunKernel(plan_.ops[step.index]);
    own_nanoseconds += std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
  }
  std::memcpy(features, data_[plan_.output], Elements(dims_[plan_.output]) * sizeof(float));
  return own_nanoseconds;
}

void Program::RunKernel(const Op& op) {
  const float* in = data_[op.input];
  float* out = data_[op.output];
  const std::vector<size_t>& dims = dims_[op.input];
  const size_t n = Elements(dims);
  auto product = [&dims](size_t from, size_t to) {
    return std::accumulate(dims.begin() + from, dims.begin() + to, size_t{1}, std::multiplies<>());
  };
  switch (op.kind) {
    case OpKind::kTranspose:
      return kernels::Transpose(in, dims, op.permutation, out, pool_);
    case OpKind::kConcat: {
      std::vector<const float*> parts;
      std::vector<std::vector<size_t>> part_dims;
      for (uint32_t value : op.inputs) {
        parts.push_back(data_[value]);
        part_dims.push_back(dims_[value]);
      }
      return kernels::Concat(parts, part_dims, op.axis, out, pool_);
    }
    case OpKind::kSlice:
      return kernels::Slice(in, dims, op.axis, op.start, op.count, op.step, out, pool_);
    case OpKind::kReduceMean:
      return kernels::ReduceMean(in, product(0, op.axis), product(op.axis, op.axis_end),
                                 product(op.axis_end, dims.size()), out, pool_);
    case OpKind::kLayerNorm:
      return kernels::LayerNorm(
          in, n / dims.back(), dims.back(), plan_.weights[plan_.values[op.input2].weights].data(),
          plan_.weights[plan_.values[op.bias].weights].data(), op.alpha, out, pool_);
    case OpKind::kErf:
      return kernels::Erf(in, n, out, pool_);
    case OpKind::kTanh:
      return kernels::Tanh(in, n, out, pool_);
    case OpKind::kPow:
      return kernels::Pow(in, n, op.alpha, out, pool_);
    case OpKind::kResizeNearest:
    case OpKind::kResizeBilinear: {
      const std::vector<size_t>& to = dims_[op.output];
      const kernels::ResizeShape shape{dims[0], dims[1], dims[2],      dims[3],
                                       to[1],   to[2],   op.scales[0], op.scales[1]};
      if (op.kind == OpKind::kResizeNearest) {
        return kernels::ResizeNearest(in, shape, op.nearest_mode, out, pool_);
      }
      return kernels::ResizeBilinear(in, shape, op.bilinear_mode, out, pool_);
    }
    default:
      throw Error("operator " + op.node + " has no kernel outside XNNPACK");
  }
}

}  // namespace fruits::model::xnn
