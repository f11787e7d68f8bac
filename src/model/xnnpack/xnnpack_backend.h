// The XNNPACK backend (CPU): the ONNX graph translated into XNNPACK's subgraph API, NHWC.
//
// Built once per process from the translation (xnnpack_translator.h) of a model cut at its feature
// layer; XnnpackBackendEntry() is its registration, whose preparation translates the graph once
// and refuses, naming the operator and the node, any graph the translation cannot run. input() is
// always NHWC, whatever the export's layout. XNNPACK fixes shapes when a runtime is created, so
// each concurrent caller (up to concurrent_runs(); others wait) keeps a few programs
// (xnnpack_program.h: XNNPACK runtimes and our kernels between them) by batch size, built on
// first use and reused: a run's full batches and its last partial one each build
// once. One thread pool of the threads per run serves every runtime (none with one thread: each
// caller computes on its own thread). Options left at 0 are chosen as OneRunPerCore(). The
// backend owns the weights every runtime points to. Run() is safe to call from several threads.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "model/backend.h"
#include "model/backend_registry.h"
#include "model/instance_pool.h"
#include "model/onnx_model.h"

namespace fruits::model {

namespace xnn {
struct Plan;
}

class XnnpackBackend : public Backend {
 public:
  static constexpr std::string_view kName = "xnnpack";

  // `source` names the model in messages. Throws fruits::Error when XNNPACK refuses the plan.
  XnnpackBackend(std::string source, xnn::Plan plan, const BackendOptions& options);
  ~XnnpackBackend() override;

  std::string_view name() const override { return kName; }
  const ImageInput& input() const override { return input_; }
  int64_t feature_dim() const override { return feature_dim_; }
  int64_t max_batch() const override;
  int concurrent_runs() const override { return options_.concurrent_runs; }
  Tensor Run(const Tensor& batch) override;
  double share_outside_engine() const override;

 private:
  struct ThreadPool;
  struct Slot;

  Tensor Forward(Slot& slot, const Tensor& batch);

  BackendOptions options_;
  std::string source_;
  std::unique_ptr<xnn::Plan> plan_;
  std::unique_ptr<ThreadPool> pool_;
  ImageInput input_;
  int64_t feature_dim_ = 0;
  InstancePool<Slot> slots_;
  // Time in Forward(), and in our own kernels between XNNPACK's subgraphs.
  std::atomic<int64_t> nanoseconds_{0};
  std::atomic<int64_t> nanoseconds_outside_{0};
};

// The registry's entry: name "xnnpack", preferred to OpenCV.
BackendEntry XnnpackBackendEntry();

}  // namespace fruits::model
