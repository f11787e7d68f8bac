// An inference engine that turns a batch of preprocessed images into feature vectors.
//
// A backend is built once per process from a model already cut at its feature layer (see
// model_loader.h and backend_registry.h) and shared by every worker: Run() is safe to call from
// several threads at once. Construction fails with fruits::Error when the engine cannot run the
// graph; per-batch failures do not happen for well-formed input (shapes are checked by the
// caller, against input() and max_batch()).
#pragma once

#include <cstdint>
#include <string_view>

#include "model/layout.h"
#include "model/tensor.h"

namespace fruits::model {

// What the caller offers a backend. A field left at 0 is the backend's to choose.
struct BackendOptions {
  // Threads one Run() call may use.
  int threads = 0;
  // How many Run() calls may execute at the same time; calls beyond that wait. Each concurrent
  // call costs one engine instance's working memory.
  int concurrent_runs = 0;
  // Cores inference may use in all, the budget the two above are chosen from (0: all cores).
  int cores = 0;
};

// The CPU backends' choice: one single-threaded Run() per core, which measures faster than one
// engine instance with as many threads (docs/models.md, "Threads"). Fills only the fields left
// at 0: with threads given, runs share the cores among them; with runs given, threads do.
BackendOptions OneRunPerCore(BackendOptions options);

class Backend {
 public:
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  virtual std::string_view name() const = 0;
  // The tensor Run() takes: layout, channels and image size.
  virtual const ImageInput& input() const = 0;
  // Floats per image in Run()'s result.
  virtual int64_t feature_dim() const = 0;
  // The most images one Run() takes.
  virtual int64_t max_batch() const = 0;
  // How many Run() calls the backend serves at once, as built: the caller gets the most out of
  // it with that many calls in flight (1: one serial inference stage with large batches).
  virtual int concurrent_runs() const = 0;
  // REQUIRES: batch.shape() == input().BatchShape(n) with 1 <= n <= max_batch().
  // Returns [n x feature_dim()].
  virtual Tensor Run(const Tensor& batch) = 0;
  // The share of Run()'s time so far spent outside the backend's engine (the XNNPACK backend's
  // own kernels between its subgraphs); 0 when every operator runs inside it.
  virtual double share_outside_engine() const { return 0; }

 protected:
  Backend() = default;
};

}  // namespace fruits::model
