#include "model/xnnpack/xnnpack_backend.h"

#include <pthreadpool.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "model/xnnpack/xnnpack_program.h"
#include "model/xnnpack/xnnpack_translator.h"
#include "util/error.h"

namespace fruits::model {

namespace {

// Each concurrent run keeps runtimes whose buffers hold a batch: this bounds that memory.
constexpr int64_t kMaxBatch = 256;

// Programs one caller keeps: the pipeline's batch size and its last partial batch, with room.
constexpr size_t kProgramsPerSlot = 4;

}  // namespace

struct XnnpackBackend::ThreadPool {
  pthreadpool_t handle = nullptr;
  ~ThreadPool() {
    if (handle != nullptr) pthreadpool_destroy(handle);
  }
};

struct XnnpackBackend::Slot {
  // Most recently used first.
  std::vector<std::pair<int64_t, std::unique_ptr<xnn::Program>>> programs;
};

XnnpackBackend::XnnpackBackend(std::string source, xnn::Plan plan, const BackendOptions& options)
    : options_(OneRunPerCore(options)),
      source_(std::move(source)),
      plan_(std::make_unique<xnn::Plan>(std::move(plan))),
      pool_(std::make_unique<ThreadPool>()),
      input_(plan_->image),
      feature_dim_(plan_->feature_dim),
      slots_(options_.concurrent_runs, [] { return std::make_unique<Slot>(); }) {
  xnn::InitializeXnnpack();
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
  const auto start = std::chrono::steady_clock::now();
  const int64_t n = batch.dim(0);
  auto it = std::find_if(slot.programs.begin(), slot.programs.end(),
                         [n](const auto& entry) { return entry.first == n; });
  if (it == slot.programs.end()) {
    if (slot.programs.size() == kProgramsPerSlot) slot.programs.pop_back();
    slot.programs.emplace(
        slot.programs.begin(), n,
        std::make_unique<xnn::Program>(*plan_, pool_->handle, static_cast<size_t>(n)));
  } else {
    std::rotate(slot.programs.begin(), it, it + 1);
  }
  Tensor features({n, feature_dim_});
  const int64_t outside = slot.programs.front().second->Run(batch.data(), features.data());
  nanoseconds_outside_ += outside;
  nanoseconds_ +=
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  return features;
}

double XnnpackBackend::share_outside_engine() const {
  const int64_t total = nanoseconds_.load();
  return total > 0 ? static_cast<double>(nanoseconds_outside_.load()) / total : 0;
}

namespace {

// The translation, made once: it gives the refusal, the rewrites and the backend's plan.
class XnnpackPrepared : public PreparedModel {
 public:
  // A plan XNNPACK refuses to build (a parameter outside its kernels' range) is a refusal too,
  // found by building it for one image, so that `auto` moves on to the next backend.
  explicit XnnpackPrepared(const OnnxModel& model)
      : source_(model.source()), translation_(xnn::Translate(model)) {
    if (!translation_.plan) return;
    try {
      xnn::InitializeXnnpack();
      xnn::Program probe(*translation_.plan, nullptr, 1);
    } catch (const Error& refused) {
      translation_ = {std::nullopt, refused.what()};
    }
  }

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
