// The inference backends this build has, and what each makes of a model.
//
// Shaped like ONNX Runtime's execution providers: each backend lives in its own folder under
// src/model/ behind a CMake option and contributes one BackendEntry, listed once in
// backend_registry.cc. LoadModel (model_loader.h) knows no backend by name: it asks an entry to
// prepare the model (its own copy, rewritten or translated for its engine), reads the refusal and
// the rewrites from the preparation, and creates the backend from it, so a backend does its
// expensive work on a graph (the XNNPACK translation) once. `--backend auto` walks the entries in
// preference order and takes the first that does not refuse.
//
// The registry is fixed when the program is built: thread-safe, no registration at run time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/backend.h"
#include "model/onnx_model.h"

namespace fruits::model {

// One backend's copy of a model, made ready for its engine.
class PreparedModel {
 public:
  virtual ~PreparedModel() = default;
  // Why the backend cannot run the model (naming the operator and the node), or nullopt.
  virtual std::optional<std::string> Refusal() const = 0;
  // What the backend rewrote or translated in its copy of the graph, one line each.
  virtual std::vector<std::string> Rewrites() const = 0;
  // Builds the backend, consuming the preparation (call once). REQUIRES: !Refusal(). Throws
  // fruits::Error when the engine refuses the graph all the same.
  virtual std::unique_ptr<Backend> Create(const BackendOptions& options) = 0;
};

struct BackendEntry {
  // What --backend calls it.
  std::string_view name;
  // `--backend auto` tries lower values first.
  int preference = 0;
  // The most images one Run() takes (Backend::max_batch() of what it creates).
  int64_t max_batch = 0;
  // Never throws for a graph the backend cannot run: the preparation's Refusal() says why.
  // REQUIRES: the model is cut at its feature layer and its input size is fixed.
  std::unique_ptr<PreparedModel> (*prepare)(const OnnxModel& model) = nullptr;
};

// Every backend of this build, in preference order.
const std::vector<BackendEntry>& RegisteredBackends();
// The entry called `name`, or nullptr.
const BackendEntry* FindBackend(std::string_view name);
// "auto" and then each registered name, in preference order: what ModelOptions::backend takes.
std::vector<std::string> BackendNames();
// The largest max_batch of the registered backends: the bound a batch size flag can check
// before the backend is chosen.
int64_t LargestMaxBatch();

}  // namespace fruits::model
