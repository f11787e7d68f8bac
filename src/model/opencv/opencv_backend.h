// The OpenCV DNN backend (CPU): OpenCV 4.6 imports the ONNX graph and runs it.
//
// Built once per process from a model cut at its feature layer, on its own copy normalised for
// OpenCV's importer (NormalizeForOpenCv): OpenCvBackendEntry() is its registration. It keeps up to
// concurrent_runs() networks: each Run() takes a free one (waiting when all are busy), so
// concurrent callers never share a network. Options left at 0 are chosen as OneRunPerCore().
// OpenCV's thread count is process-wide: the constructor sets it from the threads per run.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/backend.h"
#include "model/backend_registry.h"
#include "model/instance_pool.h"
#include "model/onnx_model.h"

namespace fruits::model {

class OpenCvBackend : public Backend {
 public:
  static constexpr std::string_view kName = "opencv";

  // Why OpenCV cannot run this model, or nullopt: an operator its importer lacks (naming the
  // operator and the node) or a pattern known to fail at run time. Checked before any image.
  static std::optional<std::string> Refusal(const OnnxModel& model);

  // REQUIRES: the model's input size is fixed and it is normalised. Throws fruits::Error when
  // OpenCV cannot import or run the graph, or when its output is not one vector per image.
  OpenCvBackend(const OnnxModel& model, const BackendOptions& options);
  ~OpenCvBackend() override;

  std::string_view name() const override { return kName; }
  const ImageInput& input() const override { return input_; }
  int64_t feature_dim() const override { return feature_dim_; }
  int64_t max_batch() const override;
  int concurrent_runs() const override { return options_.concurrent_runs; }
  Tensor Run(const Tensor& batch) override;

 private:
  struct Network;

  std::unique_ptr<Network> NewNetwork() const;
  Tensor Forward(Network& network, const Tensor& batch) const;

  BackendOptions options_;
  std::string model_bytes_;
  std::string source_;
  ImageInput input_;
  int64_t feature_dim_ = -1;
  InstancePool<Network> networks_;
};

// The registry's entry: name "opencv", tried after XNNPACK.
BackendEntry OpenCvBackendEntry();

}  // namespace fruits::model
