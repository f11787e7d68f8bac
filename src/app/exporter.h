// `fruits export`: a backbone and a trained classifier as one ONNX graph, image -> label.
//
// The graph, in standard ai.onnx operators only (opset 13; no ZipMap, no ai.onnx.ml):
//   image [N, H, W, 3] uint8 (or float32) RGB, already resized as training did
//   -> Cast to float -> Transpose to NCHW (for an NCHW backbone) -> the training normalisation
//   -> the backbone cut at the classifier's feature layer -> features [N, d]
//   -> Sub(PCA mean) -> MatMul(components^T) [-> Div(sqrt(variance)) when whitened]
//   -> Gemm(weights, bias) -> Softmax -> probabilities [N, C] float32
//   probabilities -> ArgMax -> label_index [N] int64;  Constant -> labels [C] string
// with the metadata of app_metadata.h. The normalisation is written as the same float32
// arithmetic the Preprocessor does, so the backbone sees the values training fed it.
#pragma once

#include <optional>
#include <string>

#include "classify/classifier.h"
#include "model/onnx_model.h"
#include "storage/object_store.h"

namespace fruits::app {

enum class InputType { kUint8, kFloat32 };

struct ExportOptions {
  InputType input = InputType::kUint8;
  // The classifier's test accuracy, recorded in the metadata when known.
  std::optional<double> accuracy;
};

// Returns the serialised model, checked by the ONNX checker. Throws UsageError when the model is
// not the one the classifier's features came from (SHA-256 differs) or when its preprocessing
// cannot be written in the graph (grey models), Error when the result fails the checker.
std::string ExportAppModel(model::OnnxModel backbone, const classify::Classifier& classifier,
                           const ExportOptions& options);

// What `fruits export` reads and writes.
struct ExportRequest {
  std::string model;       // the backbone's ONNX file
  std::string classifier;  // CLF/
  // EVAL/ (or its metrics.json) whose accuracy the file records; empty: CLF/metrics.json or the
  // sibling folder evaluation/ (fruits run --test's layout), when there.
  std::string evaluation;
  std::string output;
  InputType input = InputType::kUint8;
};

struct ExportSummary {
  int64_t bytes = 0;
  int64_t labels = 0;
  std::optional<double> accuracy;
  std::string accuracy_source;  // the metrics.json it came from
};

// Reads the model and the classifier, exports, writes the file atomically. An evaluation whose
// metrics name another classifier is refused (UsageError) when given, ignored when found.
ExportSummary ExportFiles(storage::ObjectStore& store, const ExportRequest& request);

}  // namespace fruits::app
