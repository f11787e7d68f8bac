#include "model/xnnpack/xnnpack_translator.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "model/graph_edit.h"
#include "model/quantization/rounding.h"
#include "model/tensor.h"
#include "model/xnnpack/axis_order.h"
#include "util/error.h"

namespace fruits::model::xnn {

namespace {

// The largest kernel, stride, pad or dilation a window operator may have.
constexpr int64_t kMaxWindow = 1 << 16;

struct Constant {
  std::vector<int64_t> dims;
  std::vector<float> values;
  int32_t data_type = onnx::TensorProto::FLOAT;  // as stored in the model
};

// An activation's int8 parameters: real = scale * (q - zero_point).
struct QuantParams {
  float scale = 1;
  int32_t zero_point = 0;
};

// The scales of int8 weights read through a DequantizeLinear with zero points 0: one per index
// along `axis`, or one for the whole tensor (axis -1).
struct WeightScales {
  std::vector<float> scales;
  int64_t axis = -1;
};

// A tensor the plan computes: its plan value, its shape as the ONNX graph sees it (dimension 0,
// the batch, is 1 here) and the order its axes are stored in.
struct Computed {
  uint32_t value = kNoValue;
  std::vector<int64_t> shape;
  AxisOrder layout;
};

using graph::Float;
using graph::Int;
using graph::Ints;
using graph::Text;

Constant ToConstant(const onnx::TensorProto& tensor) {
  Constant c;
  c.dims.assign(tensor.dims().begin(), tensor.dims().end());
  for (double v : graph::TensorValues(tensor)) c.values.push_back(static_cast<float>(v));
  c.data_type = tensor.data_type();
  return c;
}

// Whether XNNPACK's operator clamps its output, so that a following Clip or Relu can be folded.
bool Fusable(OpKind kind) {
  switch (kind) {
    case OpKind::kConvolution:
    case OpKind::kDepthwiseConvolution:
    case OpKind::kFullyConnected:
    case OpKind::kAdd:
    case OpKind::kMultiply:
    case OpKind::kSubtract:
    case OpKind::kDivide:
    case OpKind::kClamp:
    case OpKind::kGlobalAveragePool:
    case OpKind::kMaxPool:
    case OpKind::kAveragePool:
      return true;
    default:
      return false;
  }
}

// The name `fruits model inspect` gives our kernel for an operator outside XNNPACK; null for an
// operator XNNPACK runs. The one list of our kernels: OnXnnpack() is derived from it.
const char* OwnKernelName(OpKind kind) {
  switch (kind) {
    case OpKind::kTranspose:
      return "Transpose";
    case OpKind::kConcat:
      return "Concat";
    case OpKind::kSlice:
      return "Slice";
    case OpKind::kReduceMean:
      return "ReduceMean";
    case OpKind::kLayerNorm:
      return "LayerNorm";
    case OpKind::kErf:
      return "Erf";
    case OpKind::kTanh:
      return "Tanh";
    case OpKind::kPow:
      return "Pow";
    case OpKind::kResizeNearest:
    case OpKind::kResizeBilinear:
      return "Resize";
    default:
      return nullptr;
  }
}

// An axis attribute or input, negative ones counted from the end, checked against the rank.
std::optional<size_t> NormalizedAxis(int64_t axis, size_t rank) {
  if (axis < 0) axis += static_cast<int64_t>(rank);
  if (axis < 0 || axis >= static_cast<int64_t>(rank)) return std::nullopt;
  return static_cast<size_t>(axis);
}

class Translator {
 public:
  Translator(const OnnxModel& model, const std::vector<std::string>& observe)
      : model_(model), graph_(model.proto().graph()), observe_(observe) {
    uses_ = graph::UseCounts(graph_);
    for (const auto& node : graph_.node()) {
      for (const auto& input : node.input()) readers_[input].push_back(&node);
    }
  }

  Plan Run() {
    AddInput();
    const std::vector<bool> needed = NeededNodes();
    for (int i = 0; i < graph_.node_size(); ++i) {
      const onnx::NodeProto& node = graph_.node(i);
      if (node.op_type() == "Constant") {
        FoldConstant(node);
      } else if (needed[i]) {
        Translate(node);
      }
    }
    Finish();
    return std::move(plan_);
  }

 private:
  // The image input, NHWC in the plan whatever the model's layout: an NCHW model's input is
  // stored channels last, an NHWC model's as it is.
  void AddInput() {
    const ImageInput& in = model_.input();
    if (!in.HasFixedSize()) {
      throw Error("input '" + in.name + "' " + in.ToString() +
                  " has open dimensions: the XNNPACK backend plans for one image size");
    }
    plan_.image = in;
    plan_.image.layout = Layout::kNhwc;
    Computed input;
    if (in.layout == Layout::kNhwc) {
      input = {kNoValue, {1, in.height, in.width, in.channels}, RowMajor(4)};
    } else {
      input = {kNoValue, {1, in.channels, in.height, in.width}, ChannelsLast(4)};
    }
    input.value = plan_.input = NewValue(input.shape, input.layout);
    computed_[in.name] = input;
  }

  // Nodes the output depends on through data: shape computations that only feed a Reshape's
  // shape (x.view(x.size(0), -1) before opset 11) are not run; the plan knows the shapes.
  // Indexed by the node's position in the graph.
  std::vector<bool> NeededNodes() const {
    std::set<std::string> wanted;
    for (const auto& output : graph_.output()) wanted.insert(output.name());
    std::vector<bool> needed(graph_.node_size(), false);
    for (int i = graph_.node_size() - 1; i >= 0; --i) {
      const onnx::NodeProto& node = graph_.node(i);
      bool used = std::any_of(node.output().begin(), node.output().end(),
                              [&](const std::string& t) { return wanted.count(t) > 0; });
      if (!used) continue;
      needed[i] = true;
      const int data_inputs = node.op_type() == "Reshape" ? 1 : node.input_size();
      for (int k = 0; k < data_inputs; ++k) wanted.insert(node.input(k));
    }
    return needed;
  }

  void Translate(const onnx::NodeProto& node) {
    node_ = &node;
    const std::string& op = node.op_type();
    if (op == "Conv") return Conv();
    if (op == "BatchNormalization") return BatchNorm();
    if (op == "Relu") return Clamp(0, kInf);
    if (op == "Clip") return Clip();
    if (op == "Sigmoid") return Unary(OpKind::kSigmoid);
    if (op == "HardSwish") return Unary(OpKind::kHardSwish);
    if (op == "HardSigmoid") return HardSigmoid();
    if (op == "LeakyRelu") return UnaryWithAlpha(OpKind::kLeakyRelu, 0.01f);
    if (op == "Elu") return UnaryWithAlpha(OpKind::kElu, 1.0f);
    if (op == "PRelu") return PRelu();
    if (op == "Erf") return Unary(OpKind::kErf);
    if (op == "Tanh") return Unary(OpKind::kTanh);
    if (op == "Sqrt") return Unary(OpKind::kSquareRoot);
    if (op == "Pow") return Pow();
    if (op == "Add") return Binary(OpKind::kAdd);
    if (op == "Mul") return Binary(OpKind::kMultiply);
    if (op == "Sub") return Binary(OpKind::kSubtract);
    if (op == "Div") return Binary(OpKind::kDivide);
    if (op == "GlobalAveragePool") return GlobalAveragePool();
    if (op == "ReduceMean") return ReduceMean();
    if (op == "MaxPool" || op == "AveragePool") return Pool();
    if (op == "Gemm" || op == "MatMul") return FullyConnected();
    if (op == "Flatten" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze") {
      return Reshape();
    }
    if (op == "Transpose") return Transpose();
    if (op == "Concat") return Concat();
    if (op == "Slice") return Slice();
    if (op == "Split") return Split();
    if (op == "Softmax") return Softmax();
    if (op == "LayerNormalization") return LayerNorm();
    if (op == "Pad") return Pad();
    if (op == "Resize" || op == "Upsample") return Resize();
    if (op == "Identity" || op == "Dropout") return PassThrough();
    if (op == "Cast") return Cast();
    if (op == "QuantizeLinear") return Quantize();
    if (op == "DequantizeLinear") return Dequantize();
    Refuse("");
  }

  [[noreturn]] void Refuse(const std::string& why) const {
    std::string op = node_->domain().empty() || node_->domain() == "ai.onnx"
                         ? node_->op_type()
                         : node_->domain() + ":" + node_->op_type();
    // Ends the translation; Translate() turns the message into the refusal.
    throw Error("operator " + op + " (node '" + node_->name() + "') " +
                (why.empty() ? "is not supported by the XNNPACK backend"
                             : why + ": not supported by the XNNPACK backend"));
  }

  // --- tensors

  uint32_t NewValue(const std::vector<int64_t>& shape, const AxisOrder& layout) {
    plan_.values.push_back({PhysicalDims(shape, layout), true, -1});
    return static_cast<uint32_t>(plan_.values.size() - 1);
  }

  uint32_t NewQuantizedValue(const std::vector<int64_t>& shape, const AxisOrder& layout,
                             const QuantParams& q) {
    const uint32_t value = NewValue(shape, layout);
    plan_.values[value].type = DataType::kQuantized;
    plan_.values[value].scale = q.scale;
    plan_.values[value].zero_point = q.zero_point;
    return value;
  }

  // Static int8 weights with a scale per channel along `channel_dim`, or their int32 bias.
  uint32_t NewChannelQuantized(std::vector<size_t> dims, std::vector<int8_t> values,
                               std::vector<float> scales, size_t channel_dim) {
    plan_.int8_weights.push_back(std::move(values));
    plan_.values.push_back({std::move(dims), false, static_cast<int>(plan_.int8_weights.size() - 1),
                            DataType::kChannelQuantized8, 1, 0, std::move(scales), channel_dim});
    return static_cast<uint32_t>(plan_.values.size() - 1);
  }
  uint32_t NewChannelQuantized(std::vector<size_t> dims, std::vector<int32_t> values,
                               std::vector<float> scales) {
    plan_.int32_weights.push_back(std::move(values));
    plan_.values.push_back({std::move(dims), false,
                            static_cast<int>(plan_.int32_weights.size() - 1),
                            DataType::kChannelQuantized32, 1, 0, std::move(scales), 0});
    return static_cast<uint32_t>(plan_.values.size() - 1);
  }

  bool Quantized(const Computed& x) const {
    return plan_.values[x.value].type == DataType::kQuantized;
  }
  bool HasParams(const Computed& x, const QuantParams& q) const {
    const Value& v = plan_.values[x.value];
    return v.type == DataType::kQuantized && v.scale == q.scale && v.zero_point == q.zero_point;
  }

  // `x` as floats: itself, or its conversion from int8, made once.
  Computed AsFloat(const Computed& x) {
    if (!Quantized(x)) return x;
    if (auto it = dequantized_.find(x.value); it != dequantized_.end()) return it->second;
    Op op{.kind = OpKind::kConvert, .input = x.value};
    op.output = NewValue(x.shape, x.layout);
    op.node = node_->op_type() + " '" + node_->name() + "' (its int8 input as floats)";
    plan_.ops.push_back(std::move(op));
    ++conversions_;
    return dequantized_[x.value] = {op_output(), x.shape, x.layout};
  }

  uint32_t NewStatic(std::vector<size_t> dims, std::vector<float> values) {
    plan_.weights.push_back(std::move(values));
    plan_.values.push_back({std::move(dims), false, static_cast<int>(plan_.weights.size() - 1)});
    return static_cast<uint32_t>(plan_.values.size() - 1);
  }

  const Constant* FindConstant(const std::string& name) {
    if (name.empty()) return nullptr;
    auto it = constants_.find(name);
    if (it != constants_.end()) return &it->second;
    const onnx::TensorProto* initializer = graph::FindInitializer(graph_, name);
    if (initializer == nullptr) return nullptr;
    // graph::TensorValues refuses data that does not fill the dimensions, which every handler
    // indexes by.
    return &(constants_[name] = ToConstant(*initializer));
  }

  bool HasInput(int k) const { return k < node_->input_size() && !node_->input(k).empty(); }

  const Constant& ConstantInput(int k) {
    const Constant* c = k < node_->input_size() ? FindConstant(node_->input(k)) : nullptr;
    if (c == nullptr) Refuse("takes input " + std::to_string(k) + " from the graph");
    return *c;
  }

  // Input k, a constant of one value (Clip's bounds, Pad's value).
  float ScalarInput(int k) {
    const Constant& c = ConstantInput(k);
    if (c.values.size() != 1) {
      Refuse("takes " + std::to_string(c.values.size()) + " values as input " + std::to_string(k) +
             " where one belongs");
    }
    return c.values[0];
  }

  // Integers from input k (opset 10+ Slice, 13+ Squeeze and Split) or, without it, from the
  // attribute of the older opsets.
  std::optional<std::vector<int64_t>> IntsFrom(int k, const std::string& attribute) {
    if (HasInput(k)) {
      const Constant& c = ConstantInput(k);
      return std::vector<int64_t>(c.values.begin(), c.values.end());
    }
    if (graph::FindAttribute(*node_, attribute) == nullptr) return std::nullopt;
    return Ints(*node_, attribute, {});
  }

  size_t AxisOf(int64_t axis, size_t rank) {
    std::optional<size_t> normalized = NormalizedAxis(axis, rank);
    if (!normalized)
      Refuse("with axis " + std::to_string(axis) + " of a rank-" + std::to_string(rank) +
             " tensor");
    if (*normalized == 0) Refuse("along the batch axis");
    return *normalized;
  }

  // Input k as floats: what every operator not quantized reads.
  Computed Input(int k) { return AsFloat(RawInput(k)); }

  // Input k as the plan holds it, float or int8.
  const Computed& RawInput(int k) {
    if (!HasInput(k)) Refuse("lacks input " + std::to_string(k));
    const std::string& name = node_->input(k);
    auto it = computed_.find(name);
    if (it != computed_.end()) return it->second;
    Refuse("takes input '" + name + "' that is neither computed nor constant");
  }

  void Define(const std::string& name, const Computed& tensor) {
    computed_[name] = tensor;
    ++names_[tensor.value];
  }
  void Define(const Computed& tensor) { Define(node_->output(0), tensor); }

  // The node's output is its input, maybe seen another way (a Transpose, a Reshape in place):
  // the input's name counts as a reader only when it has others.
  void Alias(const Computed& tensor) {
    computed_[node_->output(0)] = tensor;
    if (uses_[node_->input(0)] > 1) ++names_[tensor.value];
  }

  uint32_t Emit(Op op, const std::vector<int64_t>& shape, const AxisOrder& layout) {
    op.output = NewValue(shape, layout);
    op.node = node_->op_type() + " '" + node_->name() + "'";
    plan_.ops.push_back(std::move(op));
    producer_[op_output()] = plan_.ops.size() - 1;
    Define({op_output(), shape, layout});
    return op_output();
  }
  uint32_t Emit(Op op, const Computed& like) {
    return Emit(std::move(op), like.shape, like.layout);
  }
  // An operator computing in int8, its output quantized with `q`.
  uint32_t EmitQuantized(Op op, const std::vector<int64_t>& shape, const AxisOrder& layout,
                         const QuantParams& q) {
    const uint32_t output = Emit(std::move(op), shape, layout);
    plan_.values[output].type = DataType::kQuantized;
    plan_.values[output].scale = q.scale;
    plan_.values[output].zero_point = q.zero_point;
    if (plan_.ops.back().kind != OpKind::kConvert) ++int8_operators_;
    return output;
  }
  uint32_t op_output() const { return plan_.ops.back().output; }
  const Computed& Output() { return computed_[node_->output(0)]; }

  // `x` stored in `layout`: x itself when its data already are, else a copy our Transpose
  // kernel makes (or XNNPACK's reshape, when only axes of size 1 move), made once per layout.
  Computed InLayout(const Computed& x, const AxisOrder& layout) {
    if (x.layout == layout) return x;
    const auto key = std::make_pair(x.value, layout);
    if (auto it = relaid_.find(key); it != relaid_.end()) return it->second;
    Op op{.input = x.value};
    if (SameData(x.shape, x.layout, layout)) {
      op.kind = OpKind::kReshape;
    } else {
      op.kind = OpKind::kTranspose;
      op.permutation = Permutation(x.layout, layout);
      ++transposes_made_;
    }
    op.output = NewValue(x.shape, layout);
    op.node = node_->op_type() + " '" + node_->name() + "' (its input's layout)";
    plan_.ops.push_back(std::move(op));
    return relaid_[key] = {op_output(), x.shape, layout};
  }

  // The op that produced `tensor` and that nothing else reads, or nullptr: what a following
  // BatchNormalization or activation may be folded into.
  Op* SoleProducer(const std::string& tensor, const Computed& value) {
    auto it = producer_.find(value.value);
    if (it == producer_.end() || uses_[tensor] != 1 || names_[value.value] != 1 ||
        graph::IsGraphOutput(graph_, tensor) || Observed(tensor)) {
      return nullptr;
    }
    return &plan_.ops[it->second];
  }

  // A rank-4 tensor stored channels last, what convolutions and pooling read.
  Computed ImageLike(const Computed& x) {
    if (x.shape.size() != 4) Refuse("on a rank-" + std::to_string(x.shape.size()) + " tensor");
    return InLayout(x, ChannelsLast(4));
  }

  // --- operators

  void Conv() {
    const Computed& raw = RawInput(0);
    const Constant& w = ConstantInput(1);
    // In int8 when its input is, its weights are int8 symmetric and a QuantizeLinear takes its
    // output (after a Relu or Clip fused into it).
    const std::optional<QuantParams> out_q = QuantizedOutput(node_->output(0));
    const std::optional<std::vector<float>> w_scales =
        w.dims.empty() ? std::nullopt : ChannelScales(node_->input(1), 0, w.dims[0]);
    const bool int8 = Quantized(raw) && raw.layout == ChannelsLast(4) && raw.shape.size() == 4 &&
                      out_q && w_scales;
    const Computed x = int8 ? raw : ImageLike(AsFloat(raw));
    if (w.dims.size() != 4) Refuse("is not a 2-D convolution");
    const int64_t out_c = w.dims[0], group_in = w.dims[1], kh = w.dims[2], kw = w.dims[3];
    const int64_t groups = Int(*node_, "group", 1);
    if (groups < 1 || out_c % groups != 0 || group_in * groups != x.shape[1] || kh < 1 || kw < 1) {
      Refuse("with weights " + ShapeToString(w.dims) + " in " + std::to_string(groups) +
             " groups on " + ShapeToString(x.shape));
    }
    Op op;
    SetWindow(op, {kh, kw}, x.shape, /*dilated=*/true);
    std::vector<float> bias(out_c, 0.0f);
    if (HasInput(2)) bias = ConstantInput(2).values;
    if (bias.size() != static_cast<size_t>(out_c)) Refuse("with a bias of another size");
    const bool depthwise = groups == x.shape[1] && group_in == 1 && out_c == groups;
    std::vector<float> filter(w.values.size());
    if (depthwise) {
      op.kind = OpKind::kDepthwiseConvolution;
      for (int64_t c = 0; c < out_c; ++c)
        for (int64_t i = 0; i < kh * kw; ++i) filter[i * out_c + c] = w.values[c * kh * kw + i];
      op.input2 = NewStatic({1, size_t(kh), size_t(kw), size_t(out_c)}, std::move(filter));
    } else {
      op.kind = OpKind::kConvolution;
      for (int64_t o = 0; o < out_c; ++o)
        for (int64_t c = 0; c < group_in; ++c)
          for (int64_t i = 0; i < kh * kw; ++i)
            filter[(o * kh * kw + i) * group_in + c] = w.values[(o * group_in + c) * kh * kw + i];
      op.input2 =
          NewStatic({size_t(out_c), size_t(kh), size_t(kw), size_t(group_in)}, std::move(filter));
    }
    op.groups = static_cast<uint32_t>(groups);
    op.group_input_channels = static_cast<size_t>(group_in);
    op.group_output_channels = static_cast<size_t>(out_c / groups);
    op.input = x.value;
    const std::vector<int64_t> shape = WindowOutput(op, x.shape, out_c);
    if (!int8) {
      op.bias = NewStatic({size_t(out_c)}, std::move(bias));
      Emit(op, shape, x.layout);
      return;
    }
    QuantizeConvWeights(op, *w_scales, bias, plan_.values[x.value].scale);
    EmitQuantized(op, shape, x.layout, *out_q);
  }

  // A float filter and bias (already in XNNPACK's order) as int8 per output channel and int32
  // with scale input_scale * filter_scale[c], the exact values of the model's int8 weights.
  void QuantizeConvWeights(Op& op, const std::vector<float>& scales, const std::vector<float>& bias,
                           float input_scale) {
    const Value filter_value = plan_.values[op.input2];
    std::vector<float> filter = std::move(plan_.weights[filter_value.weights]);
    const size_t c = scales.size(), per_channel = filter.size() / c;
    const bool depthwise = op.kind == OpKind::kDepthwiseConvolution;
    std::vector<int8_t> q(filter.size());
    for (size_t i = 0; i < filter.size(); ++i) {
      // OHWI: the output channel is outermost; depthwise 1HWC: innermost.
      q[i] = quantization::RoundSaturated<int8_t>(static_cast<double>(filter[i]) /
                                                  scales[depthwise ? i % c : i / per_channel]);
    }
    std::vector<float> bias_scales(c);
    std::vector<int32_t> q_bias(c);
    for (size_t o = 0; o < c; ++o) {
      bias_scales[o] = input_scale * scales[o];
      q_bias[o] =
          quantization::RoundSaturated<int32_t>(static_cast<double>(bias[o]) / bias_scales[o]);
    }
    op.input2 = NewChannelQuantized(filter_value.dims, std::move(q), scales, depthwise ? 3 : 0);
    op.bias = NewChannelQuantized({c}, std::move(q_bias), std::move(bias_scales));
  }

  // Per channel along `axis` (count of them), the scales of int8 symmetric weights read through a
  // DequantizeLinear; nullopt for float weights.
  std::optional<std::vector<float>> ChannelScales(const std::string& weights, int64_t axis,
                                                  int64_t count) {
    auto it = weight_scales_.find(weights);
    if (it == weight_scales_.end() || count < 1) return std::nullopt;
    const WeightScales& w = it->second;
    if (w.axis < 0) return std::vector<float>(count, w.scales[0]);
    if (w.axis != axis || static_cast<int64_t>(w.scales.size()) != count) return std::nullopt;
    return w.scales;
  }

  // The kernel, strides, pads and dilations of a Conv or pooling node.
  void SetWindow(Op& op, const std::vector<int64_t>& kernel, const std::vector<int64_t>& x,
                 bool dilated) {
    const std::string auto_pad = Text(*node_, "auto_pad");
    if (!auto_pad.empty() && auto_pad != "NOTSET" && auto_pad != "VALID") {
      Refuse("with auto_pad " + auto_pad);
    }
    std::vector<int64_t> strides = Ints(*node_, "strides", {1, 1});
    std::vector<int64_t> pads = Ints(*node_, "pads", {0, 0, 0, 0});
    std::vector<int64_t> dilations = Ints(*node_, "dilations", {1, 1});
    if (strides.size() != 2 || pads.size() != 4 || dilations.size() != 2 || x.size() != 4) {
      Refuse("is not 2-D");
    }
    if (!dilated && (dilations[0] != 1 || dilations[1] != 1)) Refuse("with dilations");
    auto below = [](const std::vector<int64_t>& v, int64_t least) {
      return std::any_of(v.begin(), v.end(), [least](int64_t x) { return x < least; });
    };
    // Beyond kMaxWindow no image is large enough: the bound keeps the arithmetic below exact.
    auto above = [](const std::vector<int64_t>& v) {
      return std::any_of(v.begin(), v.end(), [](int64_t x) { return x > kMaxWindow; });
    };
    if (below(strides, 1) || below(dilations, 1) || below(pads, 0) || above(strides) ||
        above(dilations) || above(pads) || above(kernel)) {
      Refuse("with kernel " + ShapeToString(kernel) + ", strides " + ShapeToString(strides) +
             ", dilations " + ShapeToString(dilations) + " and pads " + ShapeToString(pads));
    }
    op.kernel = {uint32_t(kernel[0]), uint32_t(kernel[1])};
    op.stride = {uint32_t(strides[0]), uint32_t(strides[1])};
    op.dilation = {uint32_t(dilations[0]), uint32_t(dilations[1])};
    op.padding = {uint32_t(pads[0]), uint32_t(pads[3]), uint32_t(pads[2]), uint32_t(pads[1])};
  }

  // The [N, C, H, W] shape a window operator makes of x; a window wider than the padded image
  // leaves nothing, which ONNX does not define.
  std::vector<int64_t> WindowOutput(const Op& op, const std::vector<int64_t>& x, int64_t channels) {
    std::vector<int64_t> shape{1, channels, 0, 0};
    for (int axis = 0; axis < 2; ++axis) {
      const int64_t size = x[2 + axis];
      const int64_t before = op.padding[axis == 0 ? 0 : 3], after = op.padding[axis == 0 ? 2 : 1];
      const int64_t extent = int64_t{op.dilation[axis]} * (op.kernel[axis] - 1) + 1;
      if (size + before + after < extent) {
        Refuse("with a window of " + std::to_string(extent) + " on " + ShapeToString(x));
      }
      shape[2 + axis] = (size + before + after - extent) / op.stride[axis] + 1;
    }
    return shape;
  }

  void BatchNorm() {
    const Computed x = Input(0);
    const Constant& scale = ConstantInput(1);
    const Constant& shift = ConstantInput(2);
    const Constant& mean = ConstantInput(3);
    const Constant& var = ConstantInput(4);
    const double epsilon = Float(*node_, "epsilon", 1e-5f);
    const size_t c = scale.values.size();
    if (x.shape.size() < 2 || static_cast<int64_t>(c) != x.shape[1] || shift.values.size() != c ||
        mean.values.size() != c || var.values.size() != c) {
      Refuse("with parameters that do not match the channels of " + ShapeToString(x.shape));
    }
    std::vector<float> a(c), b(c);
    for (size_t i = 0; i < c; ++i) {
      const double s = scale.values[i] / std::sqrt(static_cast<double>(var.values[i]) + epsilon);
      a[i] = static_cast<float>(s);
      b[i] = static_cast<float>(shift.values[i] - mean.values[i] * s);
    }
    // Folded only where the BN's channels are the Conv's output channels, not after a
    // Transpose or Reshape that made another axis the second.
    Op* conv = x.layout == ChannelsLast(4) ? SoleProducer(node_->input(0), x) : nullptr;
    if (conv != nullptr && std::isinf(conv->output_min) && std::isinf(conv->output_max) &&
        (conv->kind == OpKind::kConvolution || conv->kind == OpKind::kDepthwiseConvolution)) {
      FoldScale(*conv, a, b);
      ++batch_norms_folded_;
      return Alias(x);
    }
    // Per channel: a constant [1, C, 1, ...] laid out like x.
    std::vector<int64_t> dims(x.shape.size(), 1);
    dims[1] = static_cast<int64_t>(c);
    const uint32_t scale_values = StaticLike({dims, a}, x).value;
    const uint32_t scaled =
        Emit({.kind = OpKind::kMultiply, .input = x.value, .input2 = scale_values}, x);
    const uint32_t shift_values = StaticLike({dims, b}, x).value;
    Emit({.kind = OpKind::kAdd, .input = scaled, .input2 = shift_values}, x);
  }

  void FoldScale(Op& conv, const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<float>& filter = plan_.weights[plan_.values[conv.input2].weights];
    std::vector<float>& bias = plan_.weights[plan_.values[conv.bias].weights];
    const size_t c = bias.size(), per_channel = filter.size() / c;
    for (size_t i = 0; i < filter.size(); ++i) {
      // OHWI: the output channel is outermost; depthwise 1HWC: innermost.
      filter[i] *= a[conv.kind == OpKind::kConvolution ? i / per_channel : i % c];
    }
    for (size_t o = 0; o < c; ++o) bias[o] = bias[o] * a[o] + b[o];
  }

  void Clip() {
    float low = Float(*node_, "min", -kInf), high = Float(*node_, "max", kInf);
    if (HasInput(1)) low = ScalarInput(1);
    if (HasInput(2)) high = ScalarInput(2);
    Clamp(low, high);
  }

  void Clamp(float low, float high) {
    const Computed raw = RawInput(0);
    Op* producer = SoleProducer(node_->input(0), raw);
    if (producer != nullptr && Fusable(producer->kind)) {
      producer->output_min = std::max(producer->output_min, low);
      producer->output_max = std::min(producer->output_max, high);
      ++activations_fused_;
      return Alias(raw);
    }
    const Computed x = AsFloat(raw);
    Emit({.kind = OpKind::kClamp, .input = x.value, .output_min = low, .output_max = high}, x);
  }

  // HardSigmoid(x) = clamp(alpha * x + beta, 0, 1), which XNNPACK has no operator for: a
  // multiply and an add by scalars, the clamp set on the add (MobileNetV3's squeeze-excitation).
  void HardSigmoid() {
    const Computed x = Input(0);
    const float alpha = Float(*node_, "alpha", 0.2f), beta = Float(*node_, "beta", 0.5f);
    const std::vector<size_t> scalar(x.shape.size(), 1);
    const uint32_t scaled = Emit(
        {.kind = OpKind::kMultiply, .input = x.value, .input2 = NewStatic(scalar, {alpha})}, x);
    Emit({.kind = OpKind::kAdd,
          .input = scaled,
          .input2 = NewStatic(scalar, {beta}),
          .output_min = 0,
          .output_max = 1},
         x);
  }

  // An activation with one parameter: ONNX's `alpha` attribute, or its default.
  void UnaryWithAlpha(OpKind kind, float default_alpha) {
    const Computed x = Input(0);
    Emit({.kind = kind, .input = x.value, .alpha = Float(*node_, "alpha", default_alpha)}, x);
  }

  void Unary(OpKind kind) {
    const Computed x = Input(0);
    Emit({.kind = kind, .input = x.value}, x);
  }

  // x ** c for a constant c: XNNPACK's square and square root for the usual exponents (the
  // variance of a decomposed LayerNorm), our kernel for the others.
  void Pow() {
    const Computed x = Input(0);
    const float exponent = ScalarInput(1);
    if (exponent == 1) return Alias(x);
    if (exponent == 2) return Unary(OpKind::kSquare);
    if (exponent == 0.5f) return Unary(OpKind::kSquareRoot);
    Emit({.kind = OpKind::kPow, .input = x.value, .alpha = exponent}, x);
  }

  // A slope per channel (or one for all): XNNPACK's PReLU on channels-last data.
  void PRelu() {
    const Computed x = Input(0);
    const Constant& slope = ConstantInput(1);
    if (slope.values.size() == 1) {
      Emit({.kind = OpKind::kLeakyRelu, .input = x.value, .alpha = slope.values[0]}, x);
      return;
    }
    if (x.shape.size() < 2 || slope.values.size() != static_cast<size_t>(x.shape[1])) {
      Refuse("with a slope of " + std::to_string(slope.values.size()) + " values on " +
             ShapeToString(x.shape));
    }
    // XNNPACK's slope runs along the last physical axis: the channels.
    const Computed in = InLayout(x, WithAxisLast(RowMajor(x.shape.size()), 1));
    Emit({.kind = OpKind::kPRelu,
          .input = in.value,
          .input2 = NewStatic({slope.values.size()}, slope.values)},
         in);
  }

  void Binary(OpKind kind) {
    const Constant* c0 = FindConstant(node_->input(0));
    const Constant* c1 = FindConstant(node_->input(1));
    if (c0 != nullptr && c1 != nullptr) Refuse("of two constants");
    if (c0 == nullptr && c1 == nullptr && kind != OpKind::kDivide && QuantizedBinary(kind)) return;
    Computed x = c0 != nullptr ? Input(1) : Input(0);
    Computed y;
    if (c0 != nullptr || c1 != nullptr) {
      y = StaticLike(*(c0 != nullptr ? c0 : c1), x);
    } else {
      y = Input(1);
      if (x.shape.size() != y.shape.size()) Refuse("broadcasts tensors of different ranks");
      // The smaller operand takes the layout of the larger: a squeeze-excitation's [N, C, 1, 1]
      // scale moves, never the feature map.
      if (Tensor::ElementCount(y.shape) > Tensor::ElementCount(x.shape)) {
        x = InLayout(x, y.layout);
      } else {
        y = InLayout(y, x.layout);
      }
    }
    std::vector<int64_t> shape(x.shape.size());
    for (size_t i = 0; i < shape.size(); ++i) {
      if (x.shape[i] != y.shape[i] && x.shape[i] != 1 && y.shape[i] != 1) {
        Refuse("with shapes " + ShapeToString(x.shape) + " and " + ShapeToString(y.shape));
      }
      shape[i] = std::max(x.shape[i], y.shape[i]);
    }
    const bool swapped = c0 != nullptr;  // keeps Sub(c, x) and Div(c, x) in order
    Emit(
        {.kind = kind, .input = swapped ? y.value : x.value, .input2 = swapped ? x.value : y.value},
        shape, x.layout);
  }

  // Add, Mul or Sub in int8: both operands int8 and laid out alike, a QuantizeLinear after.
  bool QuantizedBinary(OpKind kind) {
    const Computed& x = RawInput(0);
    const Computed& y = RawInput(1);
    const std::optional<QuantParams> out_q = QuantizedOutput(node_->output(0));
    if (!out_q || !Quantized(x) || !Quantized(y) || x.layout != y.layout ||
        x.shape.size() != y.shape.size()) {
      return false;
    }
    std::vector<int64_t> shape(x.shape.size());
    for (size_t i = 0; i < shape.size(); ++i) {
      if (x.shape[i] != y.shape[i] && x.shape[i] != 1 && y.shape[i] != 1) return false;
      shape[i] = std::max(x.shape[i], y.shape[i]);
    }
    EmitQuantized({.kind = kind, .input = x.value, .input2 = y.value}, shape, x.layout, *out_q);
    return true;
  }

  // A constant operand, broadcast to the rank of the computed one and laid out like it.
  Computed StaticLike(const Constant& c, const Computed& like) {
    if (c.dims.size() > like.shape.size()) Refuse("broadcasts a constant of higher rank");
    std::vector<int64_t> dims(like.shape.size() - c.dims.size(), 1);
    dims.insert(dims.end(), c.dims.begin(), c.dims.end());
    return {NewStatic(PhysicalDims(dims, like.layout), ToLayout(c.values, dims, like.layout)), dims,
            like.layout};
  }

  void GlobalAveragePool() {
    const Computed& raw = RawInput(0);
    const std::optional<QuantParams> out_q = QuantizedOutput(node_->output(0));
    if (out_q && Quantized(raw) && raw.shape.size() == 4 && raw.layout == ChannelsLast(4)) {
      EmitQuantized({.kind = OpKind::kGlobalAveragePool, .input = raw.value},
                    {1, raw.shape[1], 1, 1}, raw.layout, *out_q);
      return;
    }
    const Computed x = ImageLike(AsFloat(raw));
    Emit({.kind = OpKind::kGlobalAveragePool, .input = x.value}, {1, x.shape[1], 1, 1}, x.layout);
  }

  // The mean over the image (torchvision's x.mean([2, 3])) is XNNPACK's global average pool;
  // any other set of axes is our kernel, over axes stored next to each other.
  void ReduceMean() {
    const Computed x = Input(0);
    const size_t rank = x.shape.size();
    std::vector<size_t> axes;
    for (int64_t axis : IntsFrom(1, "axes").value_or(std::vector<int64_t>{})) {
      axes.push_back(AxisOf(axis, rank));
    }
    std::sort(axes.begin(), axes.end());
    axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
    if (axes.empty()) Refuse("over every axis, the batch included");
    const bool keep = Int(*node_, "keepdims", 1) != 0;
    std::vector<int64_t> reduced_shape = x.shape;
    for (size_t axis : axes) reduced_shape[axis] = 1;
    if (rank == 4 && axes == std::vector<size_t>{2, 3} &&
        SameData(x.shape, x.layout, ChannelsLast(4))) {
      const Computed in = ImageLike(x);
      Emit({.kind = OpKind::kGlobalAveragePool, .input = in.value}, reduced_shape, in.layout);
    } else {
      // The reduced axes stored last, in order, unless they already sit together.
      AxisOrder layout = x.layout;
      std::vector<size_t> positions;
      for (size_t axis : axes) {
        positions.push_back(std::find(layout.begin(), layout.end(), axis) - layout.begin());
      }
      std::sort(positions.begin(), positions.end());
      if (positions.back() - positions.front() + 1 != positions.size()) {
        layout.erase(
            std::remove_if(layout.begin(), layout.end(),
                           [&](size_t a) { return std::count(axes.begin(), axes.end(), a); }),
            layout.end());
        layout.insert(layout.end(), axes.begin(), axes.end());
        positions.clear();
        for (size_t i = rank - axes.size(); i < rank; ++i) positions.push_back(i);
      }
      const Computed in = InLayout(x, layout);
      Emit({.kind = OpKind::kReduceMean,
            .input = in.value,
            .axis = positions.front(),
            .axis_end = positions.back() + 1},
           reduced_shape, in.layout);
    }
    if (keep) return;
    std::vector<int64_t> squeezed;
    for (size_t i = 0; i < rank; ++i) {
      if (std::count(axes.begin(), axes.end(), i) == 0) squeezed.push_back(x.shape[i]);
    }
    ReshapeTo(Output(), squeezed);
  }

  void Pool() {
    const Computed x = ImageLike(Input(0));
    const bool max = node_->op_type() == "MaxPool";
    if (Int(*node_, "ceil_mode", 0) != 0) Refuse("with ceil_mode 1");
    if (max && node_->output_size() > 1) Refuse("with an indices output");
    std::vector<int64_t> kernel = Ints(*node_, "kernel_shape", {});
    if (kernel.size() != 2) Refuse("is not 2-D");
    if (kernel[0] < 1 || kernel[1] < 1) Refuse("with kernel " + ShapeToString(kernel));
    Op op{.kind = max ? OpKind::kMaxPool : OpKind::kAveragePool, .input = x.value};
    SetWindow(op, kernel, x.shape, /*dilated=*/max);
    const bool padded = std::any_of(op.padding.begin(), op.padding.end(), [](auto p) { return p; });
    // A 1x1 window moving by 1 copies its input (VGG's and AlexNet's adaptive pooling at their
    // own size), which XNNPACK refuses to define.
    if (op.kernel == std::array<uint32_t, 2>{1, 1} && op.stride == std::array<uint32_t, 2>{1, 1} &&
        !padded) {
      return Alias(x);
    }
    // XNNPACK's average leaves the padding out of the count.
    if (!max && padded && Int(*node_, "count_include_pad", 0) != 0) {
      Refuse("with count_include_pad 1 and padding");
    }
    Emit(op, WindowOutput(op, x.shape, x.shape[1]), x.layout);
  }

  // Gemm on [N, K], or MatMul on [..., K] (ConvNeXt's pointwise layers on [N, H, W, C]) by a
  // constant matrix: XNNPACK's fully connected over the last axis, stored last.
  void FullyConnected() {
    Computed x = Input(0);
    const Constant& w = ConstantInput(1);
    const bool gemm = node_->op_type() == "Gemm";
    const size_t rank = x.shape.size();
    if (w.dims.size() != 2 || rank < 2 || (gemm && rank != 2)) {
      Refuse("on a rank-" + std::to_string(rank) + " input");
    }
    if (gemm && Int(*node_, "transA", 0) != 0) Refuse("with transA");
    const bool transposed = gemm && Int(*node_, "transB", 0) != 0;
    const int64_t out = transposed ? w.dims[0] : w.dims[1], in = transposed ? w.dims[1] : w.dims[0];
    if (x.shape.back() != in) {
      Refuse("with weights " + ShapeToString(w.dims) + " on " + ShapeToString(x.shape));
    }
    x = InLayout(x, WithAxisLast(x.layout, rank - 1));
    const float alpha = gemm ? Float(*node_, "alpha", 1) : 1,
                beta = gemm ? Float(*node_, "beta", 1) : 1;
    std::vector<float> filter(w.values.size());
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        filter[o * in + i] = alpha * w.values[transposed ? o * in + i : i * out + o];
    std::vector<float> bias(out, 0.0f);
    if (gemm && HasInput(2)) {
      const Constant& c = ConstantInput(2);
      if (c.values.size() != static_cast<size_t>(out) && c.values.size() != 1)
        Refuse("with a bias of another shape");
      for (int64_t o = 0; o < out; ++o) bias[o] = beta * c.values[c.values.size() == 1 ? 0 : o];
    }
    Op op{.kind = OpKind::kFullyConnected, .input = x.value};
    op.input2 = NewStatic({size_t(out), size_t(in)}, std::move(filter));
    op.bias = NewStatic({size_t(out)}, std::move(bias));
    std::vector<int64_t> shape = x.shape;
    shape.back() = out;
    Emit(op, shape, x.layout);
  }

  // Flatten, Reshape, Squeeze and Unsqueeze: the target shape, then ReshapeTo.
  void Reshape() {
    const Computed x = Input(0);
    const std::string& op = node_->op_type();
    const size_t rank = x.shape.size();
    std::vector<int64_t> target;
    if (op == "Flatten") {
      int64_t axis = Int(*node_, "axis", 1);
      if (axis < 0) axis += static_cast<int64_t>(rank);
      if (axis < 1 || axis > static_cast<int64_t>(rank))
        Refuse("with axis " + std::to_string(axis));
      target = {1, 1};
      for (int64_t i = 1; i < static_cast<int64_t>(rank); ++i)
        target[i < axis ? 0 : 1] *= x.shape[i];
    } else if (op == "Reshape") {
      target = ReshapeTarget(x);
    } else if (op == "Squeeze") {
      std::optional<std::vector<int64_t>> axes = IntsFrom(1, "axes");
      std::vector<bool> squeezed(rank, false);
      for (size_t i = 1; i < rank; ++i) squeezed[i] = !axes && x.shape[i] == 1;
      for (int64_t axis : axes.value_or(std::vector<int64_t>{}))
        squeezed[AxisOf(axis, rank)] = true;
      for (size_t i = 0; i < rank; ++i) {
        if (squeezed[i] && x.shape[i] != 1)
          Refuse("of an axis of size " + std::to_string(x.shape[i]));
        if (!squeezed[i]) target.push_back(x.shape[i]);
      }
    } else {  // Unsqueeze
      std::optional<std::vector<int64_t>> axes = IntsFrom(1, "axes");
      if (!axes) Refuse("without axes");
      const size_t out_rank = rank + axes->size();
      std::vector<bool> inserted(out_rank, false);
      for (int64_t axis : *axes) inserted[AxisOf(axis, out_rank)] = true;
      for (size_t i = 0, k = 0; i < out_rank; ++i) target.push_back(inserted[i] ? 1 : x.shape[k++]);
    }
    ReshapeTo(x, target);
  }

  // Reshape's target: a constant (shape arithmetic is folded into one by the graph
  // preparation), its first element the batch.
  std::vector<int64_t> ReshapeTarget(const Computed& x) {
    std::vector<int64_t> target;
    if (const Constant* c = FindConstant(node_->input(1))) {
      target.assign(c->values.begin(), c->values.end());
    } else if (std::optional<std::vector<int64_t>> shape = model_.TensorShape(node_->output(0))) {
      target = *shape;
    } else {
      Refuse("to a shape computed from the data");
    }
    if (target.empty() || !(target[0] == 0 || target[0] == 1 || target[0] == -1)) {
      Refuse("to " + ShapeToString(target) + ", which does not keep the batch first");
    }
    target[0] = 1;
    const bool allow_zero = Int(*node_, "allowzero", 0) != 0;
    int64_t known = 1, inferred = -1;
    for (size_t i = 1; i < target.size(); ++i) {
      if (target[i] == 0 && !allow_zero && i < x.shape.size()) target[i] = x.shape[i];
      if (target[i] == -1 && inferred < 0) {
        inferred = static_cast<int64_t>(i);
      } else if (target[i] < 1) {
        Refuse("to " + ShapeToString(target));
      } else {
        known *= target[i];
      }
    }
    const int64_t count = static_cast<int64_t>(Tensor::ElementCount(x.shape));
    if (inferred > 0 && known > 0 && count % known == 0) target[inferred] = count / known;
    if (static_cast<int64_t>(Tensor::ElementCount(target)) != count) {
      Refuse("of " + ShapeToString(x.shape) + " to " + ShapeToString(target));
    }
    return target;
  }

  // The same elements seen with another shape: no data move when the axes it merges or splits
  // are stored together and in order (the common [N, C, 1, 1] -> [N, C] moves none), else our
  // Transpose first.
  void ReshapeTo(const Computed& x, const std::vector<int64_t>& target) {
    std::optional<ReshapeOrders> layouts = PlanReshape(x.shape, x.layout, target);
    if (!layouts) {
      Refuse("of " + ShapeToString(x.shape) + " to " + ShapeToString(target) +
             ", which mixes the batch with other axes");
    }
    const Computed in = InLayout(x, layouts->input);
    if (PhysicalDims(in.shape, in.layout) == PhysicalDims(target, layouts->output)) {
      return Alias({in.value, target, layouts->output});
    }
    Emit({.kind = OpKind::kReshape, .input = in.value}, target, layouts->output);
  }

  void Pad() {
    const Computed x = Input(0);
    const std::string mode = Text(*node_, "mode");
    if (!mode.empty() && mode != "constant") Refuse("in mode " + mode);
    std::vector<int64_t> pads = Ints(*node_, "pads", {});
    float value = Float(*node_, "value", 0);
    if (node_->input_size() > 1) {
      const Constant& c = ConstantInput(1);
      pads.assign(c.values.begin(), c.values.end());
    }
    if (HasInput(2)) value = ScalarInput(2);
    const size_t rank = x.shape.size();
    if (pads.size() != 2 * rank ||
        std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; })) {
      Refuse("with pads " + ShapeToString(pads));
    }
    if (pads[0] != 0 || pads[rank] != 0) Refuse("padding the batch");
    std::vector<int64_t> shape = x.shape;
    Op op{.kind = OpKind::kPad, .input = x.value, .padding_value = value};
    for (size_t i = 0; i < rank; ++i) {
      shape[i] += pads[i] + pads[rank + i];
      op.pre_padding.push_back(static_cast<size_t>(pads[x.layout[i]]));
      op.post_padding.push_back(static_cast<size_t>(pads[rank + x.layout[i]]));
    }
    Emit(op, shape, x.layout);
  }

  // Only the view changes: the data stay where they are (tf2onnx's input Transpose, ConvNeXt's
  // permutes around LayerNorm cost nothing).
  void Transpose() {
    const Computed x = Input(0);
    const size_t rank = x.shape.size();
    std::vector<int64_t> perm = Ints(*node_, "perm", {});
    if (perm.empty()) {
      for (size_t i = rank; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
    }
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (sorted.size() != rank || sorted[i] != static_cast<int64_t>(i)) {
        Refuse("with perm " + ShapeToString(perm) + " on " + ShapeToString(x.shape));
      }
    }
    if (perm[0] != 0) Refuse("moving the batch axis");
    std::vector<int64_t> shape(rank);
    for (size_t i = 0; i < rank; ++i) shape[i] = x.shape[perm[i]];
    ++views_changed_;
    Alias({x.value, shape, Transposed(x.layout, perm)});
  }

  // Our kernel, along the axis as stored; every input laid out like the first.
  void Concat() {
    const Computed first = Input(0);
    const size_t rank = first.shape.size();
    const size_t axis = AxisOf(Int(*node_, "axis", 0), rank);
    Op op{.kind = OpKind::kConcat};
    std::vector<int64_t> shape = first.shape;
    shape[axis] = 0;
    for (int k = 0; k < node_->input_size(); ++k) {
      const Computed part = InLayout(Input(k), first.layout);
      for (size_t i = 0; i < rank; ++i) {
        if (part.shape.size() != rank || (i != axis && part.shape[i] != first.shape[i])) {
          Refuse("of " + ShapeToString(first.shape) + " and " + ShapeToString(part.shape));
        }
      }
      shape[axis] += part.shape[axis];
      op.inputs.push_back(part.value);
    }
    op.input = op.inputs.front();
    op.axis = static_cast<size_t>(std::find(first.layout.begin(), first.layout.end(), axis) -
                                  first.layout.begin());
    Emit(op, shape, first.layout);
  }

  // [start, end) along an axis, with a step, as ONNX clamps them.
  Computed SliceOf(const Computed& x, size_t axis, int64_t start, int64_t end, int64_t step) {
    const int64_t size = x.shape[axis];
    if (step < 1) Refuse("with step " + std::to_string(step));
    if (start < 0) start += size;
    if (end < 0) end += size;
    start = std::clamp<int64_t>(start, 0, size);
    end = std::clamp<int64_t>(end, 0, size);
    const int64_t count = end > start ? (end - start + step - 1) / step : 0;
    if (count == 0) Refuse("to nothing");
    if (start == 0 && count == size) return x;
    std::vector<int64_t> shape = x.shape;
    shape[axis] = count;
    Op op{.kind = OpKind::kSlice,
          .input = x.value,
          .axis = static_cast<size_t>(std::find(x.layout.begin(), x.layout.end(), axis) -
                                      x.layout.begin()),
          .start = static_cast<size_t>(start),
          .count = static_cast<size_t>(count),
          .step = static_cast<size_t>(step)};
    op.output = NewValue(shape, x.layout);
    op.node = node_->op_type() + " '" + node_->name() + "'";
    plan_.ops.push_back(std::move(op));
    return {op_output(), shape, x.layout};
  }

  void Slice() {
    Computed x = Input(0);
    std::optional<std::vector<int64_t>> starts = IntsFrom(1, "starts"), ends = IntsFrom(2, "ends");
    if (!starts || !ends || starts->size() != ends->size()) Refuse("without starts and ends");
    std::vector<int64_t> axes = IntsFrom(3, "axes").value_or(std::vector<int64_t>{});
    if (axes.empty()) {
      for (size_t i = 0; i < starts->size(); ++i) axes.push_back(static_cast<int64_t>(i));
    }
    std::vector<int64_t> steps = IntsFrom(4, "steps").value_or(std::vector<int64_t>{});
    steps.resize(starts->size(), 1);
    if (axes.size() != starts->size()) Refuse("with axes that do not match its starts");
    for (size_t i = 0; i < axes.size(); ++i) {
      std::optional<size_t> axis = NormalizedAxis(axes[i], x.shape.size());
      if (!axis) Refuse("with axis " + std::to_string(axes[i]));
      if (*axis == 0) {
        // Slicing the batch as a whole (torch writes x[:, ...] that way) is a no-op.
        if ((*starts)[i] == 0 && (*ends)[i] >= std::numeric_limits<int32_t>::max()) continue;
        Refuse("slicing the batch");
      }
      x = SliceOf(x, *axis, (*starts)[i], std::min((*ends)[i], x.shape[*axis]), steps[i]);
    }
    Define(x);
  }

  void Split() {
    const Computed x = Input(0);
    const size_t axis = AxisOf(Int(*node_, "axis", 0), x.shape.size());
    std::vector<int64_t> sizes = IntsFrom(1, "split").value_or(std::vector<int64_t>{});
    const int64_t parts = node_->output_size();
    if (sizes.empty()) {
      if (x.shape[axis] % parts != 0) Refuse("into unequal parts without sizes");
      sizes.assign(parts, x.shape[axis] / parts);
    }
    if (static_cast<int64_t>(sizes.size()) != parts) Refuse("with sizes that do not match outputs");
    int64_t start = 0;
    for (int64_t k = 0; k < parts; ++k) {
      const Computed part = SliceOf(x, axis, start, start + sizes[k], 1);
      start += sizes[k];
      if (!node_->output(k).empty()) Define(node_->output(k), part);
    }
    if (start != x.shape[axis]) Refuse("with sizes that do not add up to the axis");
  }

  // XNNPACK's softmax, over the axis stored last.
  void Softmax() {
    const Computed x = Input(0);
    const size_t rank = x.shape.size();
    const int64_t opset = model_.opset();
    const std::optional<size_t> axis =
        NormalizedAxis(Int(*node_, "axis", opset < 13 ? 1 : -1), rank);
    if (!axis || *axis == 0) Refuse("over the batch");
    // Before opset 13 the axis starts the flattened rows: the same when the rest are 1.
    for (size_t i = *axis + 1; i < rank; ++i) {
      if (x.shape[i] != 1 && opset < 13) Refuse("over several axes");
    }
    const Computed in = InLayout(x, WithAxisLast(x.layout, *axis));
    Emit({.kind = OpKind::kSoftmax, .input = in.value}, in);
  }

  // Our kernel over the last axis, stored last (ConvNeXt's LayerNorm2d at opset 17).
  void LayerNorm() {
    const Computed x = Input(0);
    const size_t rank = x.shape.size();
    if (NormalizedAxis(Int(*node_, "axis", -1), rank) != rank - 1) {
      Refuse("over more than the last axis");
    }
    for (int k = 1; k < node_->output_size(); ++k) {
      if (!node_->output(k).empty() && uses_[node_->output(k)] > 0) Refuse("with its mean read");
    }
    const size_t channels = static_cast<size_t>(x.shape.back());
    const Constant& scale = ConstantInput(1);
    std::vector<float> bias(channels, 0.0f);
    if (HasInput(2)) bias = ConstantInput(2).values;
    if (scale.values.size() != channels || bias.size() != channels) {
      Refuse("with parameters that do not match " + ShapeToString(x.shape));
    }
    const Computed in = InLayout(x, WithAxisLast(x.layout, rank - 1));
    Emit({.kind = OpKind::kLayerNorm,
          .input = in.value,
          .input2 = NewStatic({channels}, scale.values),
          .bias = NewStatic({channels}, std::move(bias)),
          .alpha = Float(*node_, "epsilon", 1e-5f)},
         in);
  }

  // Resize (and opset 9's Upsample) of the image axes, nearest or linear, by our kernels, with
  // the coordinate modes exporters write: PyTorch's nearest (asymmetric, floor) and ONNX's
  // default (half_pixel, round_prefer_floor); linear with half_pixel, pytorch_half_pixel (torch's
  // align_corners=False) or align_corners.
  void Resize() {
    const Computed x = ImageLike(Input(0));
    const bool before_opset_11 = node_->op_type() == "Upsample" || model_.opset() < 11;
    std::vector<float> scales;
    if (const int k = before_opset_11 ? 1 : 2; HasInput(k)) scales = ConstantInput(k).values;
    std::vector<int64_t> out = x.shape;
    if (!scales.empty()) {
      if (scales.size() != 4 || scales[0] != 1 || scales[1] != 1) Refuse("of other than H and W");
      for (int axis = 2; axis < 4; ++axis) {
        out[axis] = static_cast<int64_t>(std::floor(x.shape[axis] * scales[axis]));
      }
    } else if (HasInput(3)) {
      const Constant& sizes = ConstantInput(3);
      if (sizes.values.size() != 4 || sizes.values[1] != x.shape[1]) {
        Refuse("of other than H and W");
      }
      out[2] = static_cast<int64_t>(sizes.values[2]);
      out[3] = static_cast<int64_t>(sizes.values[3]);
    } else {
      Refuse("without scales or sizes");
    }
    if (out[2] < 1 || out[3] < 1) Refuse("to " + ShapeToString(out));
    const std::string mode = Text(*node_, "mode").empty() ? "nearest" : Text(*node_, "mode");
    std::string coordinates = Text(*node_, "coordinate_transformation_mode");
    if (coordinates.empty()) coordinates = before_opset_11 ? "asymmetric" : "half_pixel";
    std::string rounding = Text(*node_, "nearest_mode");
    if (rounding.empty()) rounding = before_opset_11 ? "floor" : "round_prefer_floor";
    Op op{.input = x.value};
    if (scales.size() == 4) op.scales = {scales[2], scales[3]};
    if (mode == "nearest" && coordinates == "asymmetric" && rounding == "floor") {
      op.kind = OpKind::kResizeNearest;
      op.nearest_mode = kernels::NearestMode::kAsymmetricFloor;
    } else if (mode == "nearest" && coordinates == "half_pixel" &&
               rounding == "round_prefer_floor") {
      op.kind = OpKind::kResizeNearest;
      op.nearest_mode = kernels::NearestMode::kHalfPixelRoundPreferFloor;
    } else if (mode == "linear" && coordinates == "half_pixel") {
      op.kind = OpKind::kResizeBilinear;
      op.bilinear_mode = kernels::BilinearMode::kHalfPixel;
    } else if (mode == "linear" && coordinates == "pytorch_half_pixel") {
      op.kind = OpKind::kResizeBilinear;
      op.bilinear_mode = kernels::BilinearMode::kPytorchHalfPixel;
    } else if (mode == "linear" && coordinates == "align_corners") {
      op.kind = OpKind::kResizeBilinear;
      op.bilinear_mode = kernels::BilinearMode::kAlignCorners;
    } else {
      Refuse("in mode " + mode + " with " + coordinates + " coordinates" +
             (mode == "nearest" ? " and " + rounding + " rounding" : ""));
    }
    Emit(op, out, x.layout);
  }

  // Identity and Dropout (inference): the same tensor, computed or constant.
  void PassThrough() {
    if (const Constant* c = FindConstant(node_->input(0))) {
      constants_[node_->output(0)] = *c;
      return;
    }
    Alias(RawInput(0));
  }

  // --- QDQ: QuantizeLinear -> DequantizeLinear pairs mark tensors computed in int8

  // QuantizeLinear: its output is the input in int8. An operator that computes in int8 already
  // gave its output these parameters (QuantizedOutput); anything else is converted.
  void Quantize() {
    const Computed raw = RawInput(0);
    const std::optional<QuantParams> q = ActivationParams(*node_);
    if (!q) Refuse("with a scale per channel, or a zero point neither int8 nor uint8");
    if (HasParams(raw, *q)) return Alias(raw);
    const Computed x = AsFloat(raw);
    EmitQuantized({.kind = OpKind::kConvert, .input = x.value}, x.shape, x.layout, *q);
  }

  // DequantizeLinear: of constant int8 weights, the float weights (their scales kept for the
  // operators that compute in int8); of a QuantizeLinear's output, the same int8 tensor, read as
  // floats by whichever reader needs floats (Input()).
  void Dequantize() {
    if (const Constant* c = FindConstant(node_->input(0))) return DequantizeConstant(*c);
    const Computed raw = RawInput(0);
    const std::optional<QuantParams> q = ActivationParams(*node_);
    if (!q || !HasParams(raw, *q)) {
      Refuse("reading a tensor that no QuantizeLinear with the same parameters made");
    }
    Alias(raw);
  }

  void DequantizeConstant(const Constant& x) {
    const Constant& scale = ConstantInput(1);
    const Constant* zero = HasInput(2) ? &ConstantInput(2) : nullptr;
    const bool per_tensor = scale.values.size() == 1;
    int64_t axis = -1;
    size_t inner = 1, channels = 1;
    if (!per_tensor) {
      std::optional<size_t> normalized = NormalizedAxis(Int(*node_, "axis", 1), x.dims.size());
      if (!normalized || x.dims[*normalized] != static_cast<int64_t>(scale.values.size())) {
        Refuse("with " + std::to_string(scale.values.size()) + " scales for " +
               ShapeToString(x.dims));
      }
      axis = static_cast<int64_t>(*normalized);
      channels = scale.values.size();
      for (size_t i = *normalized + 1; i < x.dims.size(); ++i) inner *= x.dims[i];
    }
    if (zero != nullptr && zero->values.size() != scale.values.size()) {
      Refuse("with zero points and scales of different sizes");
    }
    Constant real{x.dims, std::vector<float>(x.values.size())};
    bool symmetric = x.data_type == onnx::TensorProto::INT8;
    for (size_t i = 0; i < x.values.size(); ++i) {
      const size_t c = per_tensor ? 0 : (i / inner) % channels;
      const float z = zero != nullptr ? zero->values[c] : 0;
      symmetric = symmetric && z == 0;
      real.values[i] = (x.values[i] - z) * scale.values[c];
    }
    constants_[node_->output(0)] = std::move(real);
    // int8 kernels take positive finite scales; weights with others compute in float.
    symmetric = symmetric && std::all_of(scale.values.begin(), scale.values.end(),
                                         [](float s) { return std::isfinite(s) && s > 0; });
    if (symmetric) weight_scales_[node_->output(0)] = {scale.values, axis};
  }

  // A QuantizeLinear's or DequantizeLinear's parameters for a whole tensor, as int8 (a uint8
  // zero point less 128 gives the same real numbers); nullopt for any other kind.
  std::optional<QuantParams> ActivationParams(const onnx::NodeProto& node) {
    const Constant* scale = node.input_size() > 1 ? FindConstant(node.input(1)) : nullptr;
    if (scale == nullptr || scale->values.size() != 1 || !std::isfinite(scale->values[0]) ||
        scale->values[0] <= 0) {
      return std::nullopt;
    }
    // ONNX's default when the zero point is absent: uint8, 0.
    int32_t zero_point = 0, type = onnx::TensorProto::UINT8;
    if (node.input_size() > 2 && !node.input(2).empty()) {
      const Constant* zero = FindConstant(node.input(2));
      if (zero == nullptr || zero->values.size() != 1) return std::nullopt;
      type = zero->data_type;
      if (type != onnx::TensorProto::UINT8 && type != onnx::TensorProto::INT8) return std::nullopt;
      // The file's integers are not checked against their type on reading.
      const float z = zero->values[0], lo = type == onnx::TensorProto::UINT8 ? 0 : -128;
      if (!(z >= lo && z <= lo + 255)) return std::nullopt;
      zero_point = static_cast<int32_t>(z);
    }
    if (type == onnx::TensorProto::UINT8) zero_point -= 128;
    return QuantParams{scale->values[0], zero_point};
  }

  // The parameters of the QuantizeLinear that alone reads `tensor`, directly or after a Relu or
  // Clip that alone reads it (and will fuse into its producer): the output an int8 operator gives.
  std::optional<QuantParams> QuantizedOutput(const std::string& tensor) {
    const onnx::NodeProto* reader = SoleReader(tensor);
    if (reader != nullptr && (reader->op_type() == "Relu" || reader->op_type() == "Clip")) {
      reader = SoleReader(reader->output(0));
    }
    if (reader == nullptr || reader->op_type() != "QuantizeLinear") return std::nullopt;
    return ActivationParams(*reader);
  }

  const onnx::NodeProto* SoleReader(const std::string& tensor) {
    auto it = readers_.find(tensor);
    if (it == readers_.end() || it->second.size() != 1 || graph::IsGraphOutput(graph_, tensor) ||
        Observed(tensor)) {
      return nullptr;
    }
    return it->second.front();
  }

  bool Observed(const std::string& tensor) const {
    return std::find(observe_.begin(), observe_.end(), tensor) != observe_.end();
  }

  void Cast() {
    if (Int(*node_, "to", 0) != onnx::TensorProto::FLOAT) Refuse("to a type other than float");
    PassThrough();
  }

  void FoldConstant(const onnx::NodeProto& node) {
    const onnx::AttributeProto* value = graph::FindAttribute(node, "value");
    node_ = &node;
    if (value == nullptr || !value->has_t()) Refuse("without a tensor value");
    constants_[node.output(0)] = ToConstant(value->t());
  }

  void Finish() {
    if (graph_.output_size() != 1) {
      throw Error("the graph has " + std::to_string(graph_.output_size()) +
                  " outputs, not the one feature tensor");
    }
    const std::string& name = graph_.output(0).name();
    auto it = computed_.find(name);
    if (it == computed_.end() || it->second.value == plan_.input) {
      throw Error("the graph output '" + name + "' is not computed by supported operators");
    }
    Computed out = AsFloat(it->second);
    for (size_t i = 2; i < out.shape.size(); ++i) {
      if (out.shape[i] != 1) {
        throw Error("the graph output '" + name + "' " + ShapeToString(out.shape) +
                    " is not one vector per image");
      }
    }
    // The features in the graph's order (a [N, C, 1, 1] output stored channels last already is).
    if (!SameData(out.shape, out.layout, RowMajor(out.shape.size()))) {
      out = InLayout(out, RowMajor(out.shape.size()));
    }
    plan_.output = out.value;
    plan_.feature_dim = out.shape.size() > 1 ? out.shape[1] : 1;
    for (const std::string& tensor : observe_) {
      auto observed = computed_.find(tensor);
      if (observed == computed_.end()) {
        throw Error("tensor '" + tensor + "' is not computed by the XNNPACK plan");
      }
      plan_.observed.push_back(AsFloat(observed->second).value);
    }
    auto fact = [this](const std::string& what, int count) {
      if (count > 0) plan_.facts.push_back(what + ": " + std::to_string(count));
    };
    fact("BatchNormalization folded into the Conv before it", batch_norms_folded_);
    fact("activations fused into the operator before them", activations_fused_);
    fact("Transposes that only change how a tensor is seen (no data move)", views_changed_);
    fact("tensors copied into another layout", transposes_made_);
    fact("operators computing in int8", int8_operators_);
    fact("int8 tensors converted to float for an operator that is not", conversions_);
    OutsideXnnpackFacts();
  }

  // Which nodes our kernels run, by operator: `fruits model inspect` shows them.
  void OutsideXnnpackFacts() {
    std::map<std::string, std::vector<std::string>> by_operator;
    for (const Op& op : plan_.ops) {
      if (!OnXnnpack(op.kind)) by_operator[OwnKernelName(op.kind)].push_back(op.node);
    }
    size_t islands = 0;
    for (size_t i = 0; i < plan_.ops.size(); ++i) {
      if (OnXnnpack(plan_.ops[i].kind) && (i == 0 || !OnXnnpack(plan_.ops[i - 1].kind))) ++islands;
    }
    if (by_operator.empty()) return;
    plan_.facts.push_back("XNNPACK subgraphs, with our own kernels between them: " +
                          std::to_string(islands));
    constexpr size_t kNamesShown = 3;
    for (const auto& [op, nodes] : by_operator) {
      std::string line = "outside XNNPACK, our " + op + " kernel: " + std::to_string(nodes.size()) +
                         " node" + (nodes.size() > 1 ? "s" : "") + " (";
      for (size_t i = 0; i < std::min(nodes.size(), kNamesShown); ++i) {
        line.append(i > 0 ? ", " : "").append(nodes[i]);
      }
      line.append(nodes.size() > kNamesShown ? ", ...)" : ")");
      plan_.facts.push_back(std::move(line));
    }
  }

  static constexpr float kInf = std::numeric_limits<float>::infinity();

  const OnnxModel& model_;
  const onnx::GraphProto& graph_;
  const std::vector<std::string>& observe_;
  const onnx::NodeProto* node_ = nullptr;
  std::map<std::string, int> uses_;
  std::map<std::string, std::vector<const onnx::NodeProto*>> readers_;
  std::map<std::string, WeightScales> weight_scales_;
  // Float copies of int8 values, made once each.
  std::map<uint32_t, Computed> dequantized_;
  std::map<std::string, Constant> constants_;
  std::map<std::string, Computed> computed_;
  std::map<uint32_t, size_t> producer_;
  // How many tensor names read each value (Identity, fusions): a value with several must not
  // change.
  std::map<uint32_t, int> names_;
  // Copies of a value in another layout, made once each.
  std::map<std::pair<uint32_t, AxisOrder>, Computed> relaid_;
  int batch_norms_folded_ = 0;
  int activations_fused_ = 0;
  int views_changed_ = 0;
  int transposes_made_ = 0;
  int int8_operators_ = 0;
  int conversions_ = 0;
  Plan plan_;
};

}  // namespace

bool OnXnnpack(OpKind kind) { return OwnKernelName(kind) == nullptr; }

size_t ElementBytes(DataType type) {
  switch (type) {
    case DataType::kQuantized:
    case DataType::kChannelQuantized8:
      return 1;
    default:
      return 4;
  }
}

Translation Translate(const OnnxModel& model, const std::vector<std::string>& observe) {
  try {
    return {Translator(model, observe).Run(), ""};
  } catch (const Error& refused) {
    return {std::nullopt, refused.what()};
  }
}

}  // namespace fruits::model::xnn
