// From an ONNX model to a running backend: choose the feature layer, cut, prepare, check, build.
//
// This is the one way the engine prepares a model; it runs once per process. Every refusal
// happens here, before any image is read: an image input fruits cannot feed (channels other than
// 1 or 3, an open size), a feature layer that is not one vector per image, an operator no backend
// runs. Each throws fruits::Error (or UsageError for a bad flag) saying what is wrong and what to
// do. The backends come from the registry (backend_registry.h); the loader names none of them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/backend.h"
#include "model/backend_registry.h"
#include "model/feature_layer.h"
#include "model/onnx_model.h"

namespace fruits::model {

struct ModelOptions {
  // The tensor whose values are the features; empty: the input of the final classifier.
  std::string feature_layer;
  // The image size for a model whose input size is open (0: take the model's own).
  int64_t input_height = 0;
  int64_t input_width = 0;
  // Which engine runs the model: one of BackendNames(). "auto": the first registered backend,
  // in preference order, that runs the graph (logging why each one before it refused); a name
  // forces that backend and fails when it cannot.
  std::string backend = "auto";
  // Fields left at 0 are the chosen backend's to fill (Backend::concurrent_runs() tells).
  BackendOptions backend_options;
};

struct LoadedModel {
  // The graph cut at its feature layer, after the rewrites every backend needs
  // (graph_preparation.h) and before any backend-specific one.
  OnnxModel graph;
  FeatureLayer feature_layer;
  // What the shared preparation and then the backend rewrote or translated in their copies of
  // the graph (one line each).
  std::vector<std::string> rewrites;
  std::unique_ptr<Backend> backend;
};

// The image channels fruits can feed a model: RGB (3) or grey (1).
bool SupportedChannels(int64_t channels);

LoadedModel LoadModel(OnnxModel model, const ModelOptions& options);

}  // namespace fruits::model
