#include "model/xnnpack/xnnpack_translator.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "model/graph_edit.h"
#include "model/tensor.h"
#include "util/error.h"

namespace fruits::model::xnn {

namespace {

struct Constant {
  std::vector<int64_t> dims;
  std::vector<float> values;
};

// A tensor the plan computes: its plan value and its shape as the ONNX graph sees it (NCHW for
// rank 4; dimension 0, the batch, is 1 here).
struct Computed {
  uint32_t value = kNoValue;
  std::vector<int64_t> shape;
};

using graph::Float;
using graph::Int;
using graph::Ints;
using graph::Text;

Constant ToConstant(const onnx::TensorProto& tensor) {
  Constant c;
  c.dims.assign(tensor.dims().begin(), tensor.dims().end());
  for (double v : graph::TensorValues(tensor)) c.values.push_back(static_cast<float>(v));
  return c;
}

// NCHW logical dimensions -> the plan's physical ones.
std::vector<size_t> Physical(const std::vector<int64_t>& shape) {
  std::vector<size_t> dims(shape.begin(), shape.end());
  if (dims.size() == 4) dims = {dims[0], dims[2], dims[3], dims[1]};
  return dims;
}

// Reorders a rank-4 NCHW constant into NHWC.
std::vector<float> ToNhwc(const std::vector<float>& values, const std::vector<int64_t>& dims) {
  const int64_t n = dims[0], c = dims[1], h = dims[2], w = dims[3];
  std::vector<float> out(values.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          out[((i * h + y) * w + x) * c + k] = values[((i * c + k) * h + y) * w + x];
  return out;
}

bool Fusable(OpKind kind) {
  return kind != OpKind::kSigmoid && kind != OpKind::kHardSwish && kind != OpKind::kLeakyRelu &&
         kind != OpKind::kElu && kind != OpKind::kPad && kind != OpKind::kReshape;
}

class Translator {
 public:
  explicit Translator(const OnnxModel& model) : model_(model), graph_(model.proto().graph()) {
    uses_ = graph::UseCounts(graph_);
  }

  Plan Run() {
    AddInput();
    const std::set<const onnx::NodeProto*> needed = NeededNodes();
    for (const auto& node : graph_.node()) {
      if (node.op_type() == "Constant") {
        FoldConstant(node);
      } else if (needed.count(&node) > 0) {
        Translate(node);
      }
    }
    Finish();
    return std::move(plan_);
  }

 private:
  // The image input, NHWC in the plan whatever the model's layout.
  void AddInput() {
    const ImageInput& in = model_.input();
    plan_.image = in;
    plan_.image.layout = Layout::kNhwc;
    std::vector<int64_t> logical = {1, in.channels, in.height, in.width};
    plan_.input = NewValue(logical);
    if (in.layout == Layout::kNhwc) {
      nhwc_input_ = in.name;
    } else {
      computed_[in.name] = {plan_.input, logical};
    }
  }

  // Nodes the output depends on through data: shape computations that only feed a Reshape's
  // shape (x.view(x.size(0), -1) before opset 11) are not run; the plan knows the shapes.
  std::set<const onnx::NodeProto*> NeededNodes() const {
    std::set<std::string> wanted;
    for (const auto& output : graph_.output()) wanted.insert(output.name());
    std::set<const onnx::NodeProto*> needed;
    for (int i = graph_.node_size() - 1; i >= 0; --i) {
      const onnx::NodeProto& node = graph_.node(i);
      bool used = std::any_of(node.output().begin(), node.output().end(),
                              [&](const std::string& t) { return wanted.count(t) > 0; });
      if (!used) continue;
      needed.insert(&node);
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
    if (op == "Add") return Binary(OpKind::kAdd);
    if (op == "Mul") return Binary(OpKind::kMultiply);
    if (op == "Sub") return Binary(OpKind::kSubtract);
    if (op == "Div") return Binary(OpKind::kDivide);
    if (op == "GlobalAveragePool") return GlobalAveragePool();
    if (op == "MaxPool" || op == "AveragePool") return Pool();
    if (op == "Gemm" || op == "MatMul") return FullyConnected();
    if (op == "Flatten" || op == "Reshape") return Reshape();
    if (op == "Pad") return Pad();
    if (op == "Identity" || op == "Dropout") return Alias(Input(0));
    if (op == "Transpose") return Transpose();
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

  uint32_t NewValue(const std::vector<int64_t>& logical) {
    plan_.values.push_back({Physical(logical), true, -1});
    return static_cast<uint32_t>(plan_.values.size() - 1);
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

  const Computed& Input(int k) {
    if (k >= node_->input_size() || node_->input(k).empty()) {
      Refuse("lacks input " + std::to_string(k));
    }
    const std::string& name = node_->input(k);
    auto it = computed_.find(name);
    if (it != computed_.end()) return it->second;
    if (name == nhwc_input_)
      Refuse("reads the NHWC input other than through Transpose(0, 3, 1, 2)");
    Refuse("takes input '" + name + "' that is neither computed nor constant");
  }

  void Define(const Computed& tensor) {
    computed_[node_->output(0)] = tensor;
    ++names_[tensor.value];
  }
  // The node's output is its input: the input's name counts as a reader only when it has others.
  void Alias(const Computed& tensor) {
    computed_[node_->output(0)] = tensor;
    if (uses_[node_->input(0)] > 1) ++names_[tensor.value];
  }

  uint32_t Emit(Op op, const std::vector<int64_t>& output_shape) {
    op.output = NewValue(output_shape);
    plan_.ops.push_back(std::move(op));
    producer_[op_output()] = plan_.ops.size() - 1;
    Define({op_output(), output_shape});
    return op_output();
  }
  uint32_t op_output() const { return plan_.ops.back().output; }

  // The op that produced `tensor` and that nothing else reads, or nullptr: what a following
  // BatchNormalization or activation may be folded into.
  Op* SoleProducer(const std::string& tensor, const Computed& value) {
    auto it = producer_.find(value.value);
    if (it == producer_.end() || uses_[tensor] != 1 || names_[value.value] != 1 ||
        graph::IsGraphOutput(graph_, tensor)) {
      return nullptr;
    }
    return &plan_.ops[it->second];
  }

  // --- operators

  void Conv() {
    const Computed x = Input(0);
    const Constant& w = ConstantInput(1);
    if (x.shape.size() != 4 || w.dims.size() != 4) Refuse("is not a 2-D convolution");
    const int64_t out_c = w.dims[0], group_in = w.dims[1], kh = w.dims[2], kw = w.dims[3];
    const int64_t groups = Int(*node_, "group", 1);
    if (groups < 1 || out_c % groups != 0 || group_in * groups != x.shape[1] || kh < 1 || kw < 1) {
      Refuse("with weights " + ShapeToString(w.dims) + " in " + std::to_string(groups) +
             " groups on " + ShapeToString(x.shape));
    }
    Op op;
    op.kernel = {static_cast<uint32_t>(kh), static_cast<uint32_t>(kw)};
    SetWindow(op, x.shape, /*dilated=*/true);
    std::vector<float> bias(out_c, 0.0f);
    if (node_->input_size() > 2 && !node_->input(2).empty()) bias = ConstantInput(2).values;
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
    op.bias = NewStatic({size_t(out_c)}, std::move(bias));
    op.input = x.value;
    Emit(op, {1, out_c, WindowOut(op, x.shape, 0), WindowOut(op, x.shape, 1)});
  }

  // Strides, pads and dilations of a Conv or pooling node.
  void SetWindow(Op& op, const std::vector<int64_t>& x, bool dilated) {
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
    if (below(strides, 1) || below(dilations, 1) || below(pads, 0)) {
      Refuse("with strides " + ShapeToString(strides) + ", dilations " + ShapeToString(dilations) +
             " and pads " + ShapeToString(pads));
    }
    op.stride = {uint32_t(strides[0]), uint32_t(strides[1])};
    op.dilation = {uint32_t(dilations[0]), uint32_t(dilations[1])};
    op.padding = {uint32_t(pads[0]), uint32_t(pads[3]), uint32_t(pads[2]), uint32_t(pads[1])};
  }

  static int64_t WindowOut(const Op& op, const std::vector<int64_t>& x, int axis) {
    const int64_t size = x[2 + axis];
    const int64_t before = op.padding[axis == 0 ? 0 : 3], after = op.padding[axis == 0 ? 2 : 1];
    const int64_t extent = op.dilation[axis] * (op.kernel[axis] - 1) + 1;
    return (size + before + after - extent) / op.stride[axis] + 1;
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
    Op* conv = SoleProducer(node_->input(0), x);
    if (conv != nullptr && std::isinf(conv->output_min) && std::isinf(conv->output_max) &&
        (conv->kind == OpKind::kConvolution || conv->kind == OpKind::kDepthwiseConvolution)) {
      FoldScale(*conv, a, b);
      ++batch_norms_folded_;
      return Alias(x);
    }
    if (x.shape.size() != 4 && x.shape.size() != 2)
      Refuse("on a rank-" + std::to_string(x.shape.size()) + " tensor");
    std::vector<size_t> dims(x.shape.size(), 1);
    dims.back() = c;
    Op multiply{.kind = OpKind::kMultiply, .input = x.value, .input2 = NewStatic(dims, a)};
    const uint32_t scaled = Emit(multiply, x.shape);
    Emit({.kind = OpKind::kAdd, .input = scaled, .input2 = NewStatic(dims, b)}, x.shape);
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
    if (node_->input_size() > 1 && !node_->input(1).empty()) low = ScalarInput(1);
    if (node_->input_size() > 2 && !node_->input(2).empty()) high = ScalarInput(2);
    Clamp(low, high);
  }

  void Clamp(float low, float high) {
    const Computed x = Input(0);
    Op* producer = SoleProducer(node_->input(0), x);
    if (producer != nullptr && Fusable(producer->kind)) {
      producer->output_min = std::max(producer->output_min, low);
      producer->output_max = std::min(producer->output_max, high);
      ++activations_fused_;
      return Alias(x);
    }
    Emit({.kind = OpKind::kClamp, .input = x.value, .output_min = low, .output_max = high},
         x.shape);
  }

  // HardSigmoid(x) = clamp(alpha * x + beta, 0, 1), which XNNPACK has no operator for: a
  // multiply and an add by scalars, the clamp set on the add (MobileNetV3's squeeze-excitation).
  void HardSigmoid() {
    const Computed x = Input(0);
    const float alpha = Float(*node_, "alpha", 0.2f), beta = Float(*node_, "beta", 0.5f);
    const std::vector<size_t> scalar(x.shape.size(), 1);
    const uint32_t scaled =
        Emit({.kind = OpKind::kMultiply, .input = x.value, .input2 = NewStatic(scalar, {alpha})},
             x.shape);
    Emit({.kind = OpKind::kAdd,
          .input = scaled,
          .input2 = NewStatic(scalar, {beta}),
          .output_min = 0,
          .output_max = 1},
         x.shape);
  }

  // An activation with one parameter: ONNX's `alpha` attribute, or its default.
  void UnaryWithAlpha(OpKind kind, float default_alpha) {
    const Computed x = Input(0);
    Emit({.kind = kind, .input = x.value, .alpha = Float(*node_, "alpha", default_alpha)}, x.shape);
  }

  void Unary(OpKind kind) {
    const Computed x = Input(0);
    Emit({.kind = kind, .input = x.value}, x.shape);
  }

  void Binary(OpKind kind) {
    const Constant* c0 = FindConstant(node_->input(0));
    const Constant* c1 = FindConstant(node_->input(1));
    if (c0 != nullptr && c1 != nullptr) Refuse("of two constants");
    const Computed x = c0 != nullptr ? Input(1) : Input(0);
    Computed y;
    if (c0 != nullptr || c1 != nullptr) {
      y = StaticLike(*(c0 != nullptr ? c0 : c1), x.shape);
    } else {
      y = Input(1);
    }
    if (x.shape.size() != y.shape.size()) Refuse("broadcasts tensors of different ranks");
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
        shape);
  }

  // A constant operand, broadcast to the rank of the computed one and laid out like it.
  Computed StaticLike(const Constant& c, const std::vector<int64_t>& like) {
    if (c.dims.size() > like.size()) Refuse("broadcasts a constant of higher rank");
    std::vector<int64_t> dims(like.size() - c.dims.size(), 1);
    dims.insert(dims.end(), c.dims.begin(), c.dims.end());
    std::vector<float> values = dims.size() == 4 ? ToNhwc(c.values, dims) : c.values;
    return {NewStatic(Physical(dims), std::move(values)), dims};
  }

  void GlobalAveragePool() {
    const Computed x = Input(0);
    if (x.shape.size() != 4) Refuse("on a rank-" + std::to_string(x.shape.size()) + " tensor");
    Emit({.kind = OpKind::kGlobalAveragePool, .input = x.value}, {1, x.shape[1], 1, 1});
  }

  void Pool() {
    const Computed x = Input(0);
    const bool max = node_->op_type() == "MaxPool";
    if (Int(*node_, "ceil_mode", 0) != 0) Refuse("with ceil_mode 1");
    if (max && node_->output_size() > 1) Refuse("with an indices output");
    std::vector<int64_t> kernel = Ints(*node_, "kernel_shape", {});
    if (kernel.size() != 2) Refuse("is not 2-D");
    if (kernel[0] < 1 || kernel[1] < 1) Refuse("with kernel " + ShapeToString(kernel));
    Op op{.kind = max ? OpKind::kMaxPool : OpKind::kAveragePool, .input = x.value};
    op.kernel = {uint32_t(kernel[0]), uint32_t(kernel[1])};
    SetWindow(op, x.shape, /*dilated=*/max);
    const bool padded = std::any_of(op.padding.begin(), op.padding.end(), [](auto p) { return p; });
    // XNNPACK's average leaves the padding out of the count.
    if (!max && padded && Int(*node_, "count_include_pad", 0) != 0) {
      Refuse("with count_include_pad 1 and padding");
    }
    Emit(op, {1, x.shape[1], WindowOut(op, x.shape, 0), WindowOut(op, x.shape, 1)});
  }

  void FullyConnected() {
    const Computed x = Input(0);
    const Constant& w = ConstantInput(1);
    const bool gemm = node_->op_type() == "Gemm";
    if (x.shape.size() != 2 || w.dims.size() != 2)
      Refuse("on a rank-" + std::to_string(x.shape.size()) + " input");
    if (gemm && Int(*node_, "transA", 0) != 0) Refuse("with transA");
    const bool transposed = gemm && Int(*node_, "transB", 0) != 0;
    const int64_t out = transposed ? w.dims[0] : w.dims[1], in = transposed ? w.dims[1] : w.dims[0];
    if (x.shape[1] != in) {
      Refuse("with weights " + ShapeToString(w.dims) + " on " + ShapeToString(x.shape));
    }
    const float alpha = gemm ? Float(*node_, "alpha", 1) : 1,
                beta = gemm ? Float(*node_, "beta", 1) : 1;
    std::vector<float> filter(w.values.size());
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        filter[o * in + i] = alpha * w.values[transposed ? o * in + i : i * out + o];
    std::vector<float> bias(out, 0.0f);
    if (gemm && node_->input_size() > 2 && !node_->input(2).empty()) {
      const Constant& c = ConstantInput(2);
      if (c.values.size() != static_cast<size_t>(out) && c.values.size() != 1)
        Refuse("with a bias of another shape");
      for (int64_t o = 0; o < out; ++o) bias[o] = beta * c.values[c.values.size() == 1 ? 0 : o];
    }
    Op op{.kind = OpKind::kFullyConnected, .input = x.value};
    op.input2 = NewStatic({size_t(out), size_t(in)}, std::move(filter));
    op.bias = NewStatic({size_t(out)}, std::move(bias));
    Emit(op, {1, out});
  }

  // Only the flattening of one vector per image: [N, C, 1, 1] or [N, d] -> [N, d].
  void Reshape() {
    const Computed x = Input(0);
    const int64_t d = static_cast<int64_t>(Tensor::ElementCount(x.shape));
    if (node_->op_type() == "Flatten" && Int(*node_, "axis", 1) != 1)
      Refuse("with axis other than 1");
    if (node_->op_type() == "Reshape") {
      std::optional<std::vector<int64_t>> target = model_.TensorShape(node_->output(0));
      if (const Constant* c = FindConstant(node_->input(1))) {
        target = std::vector<int64_t>(c->values.begin(), c->values.end());
      }
      if (!target || target->size() != 2 || ((*target)[1] != -1 && (*target)[1] != d)) {
        Refuse("to " + (target ? ShapeToString(*target) : std::string("an unknown shape")));
      }
    }
    if (x.shape.size() == 2) return Alias(x);
    if (x.shape.size() != 4 || x.shape[2] != 1 || x.shape[3] != 1) {
      Refuse("of " + ShapeToString(x.shape) + " (only [N, C, 1, 1] keeps its order in NHWC)");
    }
    Emit({.kind = OpKind::kReshape, .input = x.value}, {1, d});
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
    if (node_->input_size() > 2 && !node_->input(2).empty()) value = ScalarInput(2);
    const size_t rank = x.shape.size();
    if (pads.size() != 2 * rank ||
        std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; })) {
      Refuse("with pads " + ShapeToString(pads));
    }
    std::vector<int64_t> before(pads.begin(), pads.begin() + rank),
        after(pads.begin() + rank, pads.end());
    if (before[0] != 0 || after[0] != 0) Refuse("padding the batch");
    std::vector<int64_t> shape = x.shape;
    for (size_t i = 0; i < rank; ++i) shape[i] += before[i] + after[i];
    Op op{.kind = OpKind::kPad, .input = x.value, .padding_value = value};
    std::vector<size_t> pre = Physical(before), post = Physical(after);
    op.pre_padding = std::move(pre);
    op.post_padding = std::move(post);
    Emit(op, shape);
  }

  // The NCHW view tf2onnx puts after an NHWC input is the layout the plan already uses.
  void Transpose() {
    if (node_->input(0) != nhwc_input_ ||
        Ints(*node_, "perm", {}) != std::vector<int64_t>{0, 3, 1, 2}) {
      Refuse("other than Transpose(0, 3, 1, 2) of the NHWC input");
    }
    const ImageInput& in = model_.input();
    transposes_dropped_ = 1;
    Define({plan_.input, {1, in.channels, in.height, in.width}});
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
    const Computed& out = it->second;
    for (size_t i = 1; i < out.shape.size(); ++i) {
      if (i > 1 && out.shape[i] != 1) {
        throw Error("the graph output '" + name + "' " + ShapeToString(out.shape) +
                    " is not one vector per image");
      }
    }
    plan_.output = out.value;
    plan_.feature_dim = out.shape.size() > 1 ? out.shape[1] : 1;
    auto fact = [this](const std::string& what, int count) {
      if (count > 0) plan_.facts.push_back(what + ": " + std::to_string(count));
    };
    fact("BatchNormalization folded into the Conv before it", batch_norms_folded_);
    fact("activations fused into the operator before them", activations_fused_);
    fact("input Transpose to NCHW dropped (the backend reads NHWC)", transposes_dropped_);
  }

  static constexpr float kInf = std::numeric_limits<float>::infinity();

  const OnnxModel& model_;
  const onnx::GraphProto& graph_;
  const onnx::NodeProto* node_ = nullptr;
  std::map<std::string, int> uses_;
  std::map<std::string, Constant> constants_;
  std::map<std::string, Computed> computed_;
  std::map<uint32_t, size_t> producer_;
  // How many tensor names read each value (Identity, fusions): a value with several must not
  // change.
  std::map<uint32_t, int> names_;
  std::string nhwc_input_;
  int batch_norms_folded_ = 0;
  int activations_fused_ = 0;
  int transposes_dropped_ = 0;
  Plan plan_;
};

}  // namespace

Translation Translate(const OnnxModel& model) {
  try {
    return {Translator(model).Run(), ""};
  } catch (const Error& refused) {
    return {std::nullopt, refused.what()};
  }
}

}  // namespace fruits::model::xnn
