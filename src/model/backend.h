// An inference engine that turns a batch of preprocessed images into feature vectors.
//
// A backend is built once per process from a model already cut at its feature layer (see
// model_loader.h) and shared by every worker: Run() is safe to call from several threads at
// once. Construction fails with fruits::Error when the engine cannot run the graph; per-batch
// failures do not happen for well-formed input (shapes are checked by the caller).
#pragma once

#include <cstdint>
#include <string_view>

#include "model/layout.h"
#include "model/tensor.h"

namespace fruits::model {

struct BackendOptions {
  // Threads one Run() call may use. 0: all cores.
  int threads = 0;
  // How many Run() calls may execute at the same time (the pipeline's inference workers); calls
  // beyond that wait. Each concurrent call costs one engine instance's working memory.
  int concurrent_runs = 1;
};

class Backend {
 public:
  static constexpr int64_t kMaxBatch = 256;

  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  virtual std::string_view name() const = 0;
  // The tensor Run() takes: layout and image size.
  virtual const ImageInput& input() const = 0;
  // Floats per image in Run()'s result.
  virtual int64_t feature_dim() const = 0;
  // REQUIRES: batch.shape() == input().BatchShape(n) with 1 <= n <= kMaxBatch.
  // Returns [n x feature_dim()].
  virtual Tensor Run(const Tensor& batch) = 0;

 protected:
  Backend() = default;
};

}  // namespace fruits::model
