// From an ONNX model to a running backend: choose the feature layer, cut, check, build.
//
// This is the one way the engine prepares a model; it runs once per process. Every refusal
// happens here, before any image is read: an operator the backend lacks, a feature layer that
// is not one vector per image, an input without a fixed size. Each throws fruits::Error (or
// UsageError for a bad flag) saying what is wrong and what to do.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/backend.h"
#include "model/feature_layer.h"
#include "model/onnx_model.h"

namespace fruits::model {

struct ModelOptions {
  // The tensor whose values are the features; empty: the input of the final classifier.
  std::string feature_layer;
  // The image size for a model whose input size is open (0: take the model's own).
  int64_t input_height = 0;
  int64_t input_width = 0;
  // Which engine runs the model. "auto": XNNPACK when it runs the graph, else OpenCV (saying
  // which operator forced it); "xnnpack" or "opencv" force one and fail when it cannot.
  std::string backend = "auto";
  BackendOptions backend_options;
};

// The backend names ModelOptions::backend accepts.
std::vector<std::string> BackendNames();

struct LoadedModel {
  // The graph cut at its feature layer (before any backend-specific rewriting).
  OnnxModel graph;
  FeatureLayer feature_layer;
  // What the backend rewrote or translated in the graph to run it (one line each).
  std::vector<std::string> rewrites;
  std::unique_ptr<Backend> backend;
};

LoadedModel LoadModel(OnnxModel model, const ModelOptions& options);

}  // namespace fruits::model
