// The metadata_props of an exported app model: the keys `fruits export` writes and AppModel
// reads. Apps read them too (docs/app.md), so their names and JSON shapes are a contract.
#pragma once

namespace fruits::app::metadata {

// JSON array of the labels, in output index order.
inline constexpr char kLabels[] = "labels";
// JSON object: what the app does to a photo before the graph sees it, and what the graph does
// after: {"input": "uint8"|"float32", "layout": "NHWC", "channels": "RGB", "height", "width",
// "resize": "bicubic", "resize_rule": ..., "normalization": "mobilenet", "normalization_rule":
// ...}.
inline constexpr char kPreprocessing[] = "preprocessing";
inline constexpr char kFruitsVersion[] = "fruits_version";
// SHA-256 (hex) of the ONNX file the backbone came from.
inline constexpr char kSourceModelSha256[] = "source_model_sha256";
inline constexpr char kFeatureLayer[] = "feature_layer";
// The classifier's digest (classify::Classifier::digest()).
inline constexpr char kClassifierDigest[] = "classifier_digest";
// The classifier's test accuracy, as a decimal number; absent when no evaluation was known.
inline constexpr char kEvaluationAccuracy[] = "evaluation_accuracy";
// JSON object naming the graph's parts for engines that split it: {"pixels": the float pixel
// tensor (the Cast's output, or the input itself for --input float32), "features": the backbone's
// output, "probabilities", "label_index", "labels": the outputs}.
inline constexpr char kGraph[] = "fruits_graph";

}  // namespace fruits::app::metadata
