#include "model/xnnpack/xnnpack_backend.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <utility>

#include "model/xnnpack/xnnpack_translator.h"
#include "util/error.h"

namespace fruits::model {

namespace {

// Each concurrent run keeps runtimes whose buffers hold a batch: this bounds that memory.
constexpr int64_t kMaxBatch = 256;

// Runtimes one caller keeps: the pipeline's batch size and its last partial batch, with room.
constexpr size_t kRuntimesPerSlot = 4;

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

constexpr uint32_t kInputId = 0;
constexpr uint32_t kOutputId = 1;

std::vector<uint32_t> DefineValues(xnn_subgraph_t subgraph, const xnn::Plan& plan, size_t batch) {
  std::vector<uint32_t> ids(plan.values.size());
  for (size_t i = 0; i < plan.values.size(); ++i) {
    const xnn::Value& value = plan.values[i];
    std::vector<size_t> dims = value.dims;
    if (value.batched) dims[0] = batch;
    const void* data = value.weights >= 0 ? plan.weights[value.weights].data() : nullptr;
    uint32_t external = XNN_INVALID_VALUE_ID, flags = 0;
    if (i == plan.input) external = kInputId, flags = XNN_VALUE_FLAG_EXTERNAL_INPUT;
    if (i == plan.output) external = kOutputId, flags = XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
    Check(xnn_define_tensor_value(subgraph, xnn_datatype_fp32, dims.size(), dims.data(), data,
                                  external, flags, &ids[i]),
          "define a tensor");
  }
  return ids;
}

xnn_status DefineOp(xnn_subgraph_t s, const xnn::Plan& plan, const xnn::Op& op,
                    const std::vector<uint32_t>& ids, size_t batch) {
  const uint32_t in = ids[op.input], out = ids[op.output];
  const uint32_t in2 = op.input2 == xnn::kNoValue ? XNN_INVALID_VALUE_ID : ids[op.input2];
  const uint32_t bias = op.bias == xnn::kNoValue ? XNN_INVALID_VALUE_ID : ids[op.bias];
  const auto& p = op.padding;
  const float lo = op.output_min, hi = op.output_max;
  switch (op.kind) {
    case xnn::OpKind::kConvolution:
      return xnn_define_convolution_2d(s, p[0], p[1], p[2], p[3], op.kernel[0], op.kernel[1],
                                       op.stride[0], op.stride[1], op.dilation[0], op.dilation[1],
                                       op.groups, op.group_input_channels, op.group_output_channels,
                                       lo, hi, in, in2, bias, out, 0);
    case xnn::OpKind::kDepthwiseConvolution:
      return xnn_define_depthwise_convolution_2d(
          s, p[0], p[1], p[2], p[3], op.kernel[0], op.kernel[1], op.stride[0], op.stride[1],
          op.dilation[0], op.dilation[1], 1, op.groups, lo, hi, in, in2, bias, out, 0);
    case xnn::OpKind::kFullyConnected:
      return xnn_define_fully_connected(s, lo, hi, in, in2, bias, out, 0);
    case xnn::OpKind::kAdd:
      return xnn_define_add2(s, lo, hi, in, in2, out, 0);
    case xnn::OpKind::kMultiply:
      return xnn_define_multiply2(s, lo, hi, in, in2, out, 0);
    case xnn::OpKind::kSubtract:
      return xnn_define_subtract(s, lo, hi, in, in2, out, 0);
    case xnn::OpKind::kDivide:
      return xnn_define_divide(s, lo, hi, in, in2, out, 0);
    case xnn::OpKind::kClamp:
      return xnn_define_clamp(s, lo, hi, in, out, 0);
    case xnn::OpKind::kSigmoid:
      return xnn_define_sigmoid(s, in, out, 0);
    case xnn::OpKind::kHardSwish:
      return xnn_define_hardswish(s, in, out, 0);
    case xnn::OpKind::kLeakyRelu:
      return xnn_define_leaky_relu(s, op.alpha, in, out, 0);
    case xnn::OpKind::kElu:
      return xnn_define_elu(s, op.alpha, in, out, 0);
    case xnn::OpKind::kGlobalAveragePool:
      return xnn_define_global_average_pooling_2d(s, lo, hi, in, out, 0);
    case xnn::OpKind::kMaxPool:
      return xnn_define_max_pooling_2d(s, p[0], p[1], p[2], p[3], op.kernel[0], op.kernel[1],
                                       op.stride[0], op.stride[1], op.dilation[0], op.dilation[1],
                                       lo, hi, in, out, 0);
    case xnn::OpKind::kAveragePool:
      return xnn_define_average_pooling_2d(s, p[0], p[1], p[2], p[3], op.kernel[0], op.kernel[1],
                                           op.stride[0], op.stride[1], lo, hi, in, out, 0);
    case xnn::OpKind::kPad:
      return xnn_define_static_constant_pad(s, op.pre_padding.data(), op.post_padding.data(),
                                            op.padding_value, in, out, 0);
    case xnn::OpKind::kReshape: {
      std::vector<size_t> shape = plan.values[op.output].dims;
      shape[0] = batch;
      return xnn_define_static_reshape(s, shape.size(), shape.data(), in, out, 0);
    }
  }
  return xnn_status_invalid_parameter;
}

RuntimePtr BuildRuntime(const xnn::Plan& plan, pthreadpool_t pool, size_t batch) {
  xnn_subgraph_t raw = nullptr;
  Check(xnn_create_subgraph(2, 0, &raw), "create a subgraph");
  SubgraphPtr subgraph(raw);
  const std::vector<uint32_t> ids = DefineValues(raw, plan, batch);
  for (const xnn::Op& op : plan.ops) {
    Check(DefineOp(raw, plan, op, ids, batch), "define operator " + std::to_string(int(op.kind)));
  }
  xnn_runtime_t runtime = nullptr;
  Check(xnn_create_runtime_v2(raw, pool, 0, &runtime),
        "create a runtime for batches of " + std::to_string(batch));
  return RuntimePtr(runtime);
}

}  // namespace

struct XnnpackBackend::ThreadPool {
  pthreadpool_t handle = nullptr;
  ~ThreadPool() {
    if (handle != nullptr) pthreadpool_destroy(handle);
  }
};

struct XnnpackBackend::Slot {
  // Most recently used first.
  std::vector<std::pair<int64_t, RuntimePtr>> runtimes;
  // The batch, copied: XNNPACK kernels may read XNN_EXTRA_BYTES past the end of an input.
  std::vector<float> input;
};

XnnpackBackend::XnnpackBackend(std::string source, xnn::Plan plan, const BackendOptions& options)
    : options_(OneRunPerCore(options)),
      source_(std::move(source)),
      plan_(std::make_unique<xnn::Plan>(std::move(plan))),
      pool_(std::make_unique<ThreadPool>()),
      input_(plan_->image),
      feature_dim_(plan_->feature_dim),
      slots_(options_.concurrent_runs, [] { return std::make_unique<Slot>(); }) {
  Check(xnn_initialize(nullptr), "initialise");
  // With one thread XNNPACK runs on the caller's thread: concurrent callers do not share a pool.
  if (options_.threads > 1) pool_->handle = pthreadpool_create(options_.threads);
  // One image through the graph: proves XNNPACK accepts it before any image is read.
  Run(Tensor(input_.BatchShape(1)));
}

XnnpackBackend::~XnnpackBackend() = default;

int64_t XnnpackBackend::max_batch() const { return kMaxBatch; }

Tensor XnnpackBackend::Run(const Tensor& batch) {
  return slots_.With([&](Slot& slot) { return Forward(slot, batch); });
}

Tensor XnnpackBackend::Forward(Slot& slot, const Tensor& batch) {
  const int64_t n = batch.dim(0);
  auto it = std::find_if(slot.runtimes.begin(), slot.runtimes.end(),
                         [n](const auto& entry) { return entry.first == n; });
  if (it == slot.runtimes.end()) {
    if (slot.runtimes.size() == kRuntimesPerSlot) slot.runtimes.pop_back();
    slot.runtimes.emplace(slot.runtimes.begin(), n,
                          BuildRuntime(*plan_, pool_->handle, static_cast<size_t>(n)));
  } else {
    std::rotate(slot.runtimes.begin(), it, it + 1);
  }
  xnn_runtime_t runtime = slot.runtimes.front().second.get();
  slot.input.resize(batch.size() + XNN_EXTRA_BYTES / sizeof(float));
  std::copy(batch.data(), batch.data() + batch.size(), slot.input.begin());
  Tensor features({n, feature_dim_});
  const xnn_external_value external[2] = {{kInputId, slot.input.data()},
                                          {kOutputId, features.data()}};
  Check(xnn_setup_runtime(runtime, 2, external), "set up a batch of " + std::to_string(n));
  Check(xnn_invoke_runtime(runtime), "run a batch of " + std::to_string(n));
  return features;
}

namespace {

// The translation, made once: it gives the refusal, the rewrites and the backend's plan.
class XnnpackPrepared : public PreparedModel {
 public:
  explicit XnnpackPrepared(const OnnxModel& model)
      : source_(model.source()), translation_(xnn::Translate(model)) {}

  std::optional<std::string> Refusal() const override {
    if (translation_.plan) return std::nullopt;
    return translation_.refusal;
  }
  std::vector<std::string> Rewrites() const override {
    return translation_.plan ? translation_.plan->facts : std::vector<std::string>{};
  }
  std::unique_ptr<Backend> Create(const BackendOptions& options) override {
    return std::make_unique<XnnpackBackend>(source_, std::move(*translation_.plan), options);
  }

 private:
  std::string source_;
  xnn::Translation translation_;
};

}  // namespace

BackendEntry XnnpackBackendEntry() {
  return {.name = XnnpackBackend::kName,
          .preference = 10,
          .max_batch = kMaxBatch,
          .prepare = [](const OnnxModel& model) -> std::unique_ptr<PreparedModel> {
            return std::make_unique<XnnpackPrepared>(model);
          }};
}

}  // namespace fruits::model
