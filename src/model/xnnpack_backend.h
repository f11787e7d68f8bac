// The XNNPACK backend (CPU): the ONNX graph translated into XNNPACK's subgraph API, NHWC.
//
// Built once per process from a model cut at its feature layer (no OpenCV normalisation): the
// translation (xnnpack_translator.h) refuses, naming the operator and the node, any graph it
// cannot run. input() is always NHWC, whatever the export's layout. XNNPACK fixes shapes when a
// runtime is created, so each concurrent caller (up to BackendOptions::concurrent_runs; others
// wait) keeps a few runtimes by batch size, built on first use and reused: a run's full batches
// and its last partial one each build once. One thread pool of BackendOptions::threads serves
// every runtime (none with one thread: each caller computes on its own thread). The backend owns
// the weights every runtime points to. Run() is safe to call from several threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/backend.h"
#include "model/instance_pool.h"
#include "model/onnx_model.h"

namespace fruits::model {

namespace xnn {
struct Plan;
}

class XnnpackBackend : public Backend {
 public:
  static constexpr std::string_view kName = "xnnpack";

  // Why XNNPACK cannot run this model, or nullopt: names the operator and the node.
  static std::optional<std::string> Refusal(const OnnxModel& model);

  // REQUIRES: the model's input size is fixed. Throws fruits::Error when the graph cannot be
  // translated or XNNPACK refuses it.
  XnnpackBackend(const OnnxModel& model, const BackendOptions& options);
  ~XnnpackBackend() override;

  std::string_view name() const override { return kName; }
  const ImageInput& input() const override { return input_; }
  int64_t feature_dim() const override { return feature_dim_; }
  Tensor Run(const Tensor& batch) override;

  // What the translation did to the graph, one line each.
  const std::vector<std::string>& translation_facts() const;

 private:
  struct ThreadPool;
  struct Slot;

  Tensor Forward(Slot& slot, const Tensor& batch);

  std::string source_;
  std::unique_ptr<xnn::Plan> plan_;
  std::unique_ptr<ThreadPool> pool_;
  ImageInput input_;
  int64_t feature_dim_ = 0;
  InstancePool<Slot> slots_;
};

}  // namespace fruits::model
