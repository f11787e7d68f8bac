// Which tensor holds an image's features, and cutting the graph there.
//
// By default the feature layer is the backbone's embedding: the tensor that enters the
// classifier head. The head is the model's trailing chain of dense layers (Gemm, or MatMul with
// its bias Add, with constant weights), with element-wise activations (x * Sigmoid(x) and
// x * HardSigmoid(x) too), Dropout, Identity and reshapes between them and a Softmax, activation
// or reshape after the last. For MobileNetV2 that
// is the input of its one Gemm (the 1280 pooled floats); for a transfer-learning model (MobileNetV2
// + Dense(256)
// + Dense(128) + Dense(n) + Softmax) it is the same 1280 floats, not the last hidden layer. A
// model that already ends without a classifier gives its output. `--feature-layer NAME` picks
// any tensor that is one vector per image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/onnx_model.h"

namespace fruits::model {

struct FeatureLayer {
  std::string tensor;
  // Floats per image; -1 while shape inference cannot tell (the backend then finds out).
  int64_t dimension = -1;
  // Why this tensor, for the log line users read: "input of the final classifier Gemm 'fc'".
  std::string reason;
};

// The tensors a user may want as features, for `fruits model inspect`: the automatic choice and
// the input of each later dense layer of the head (its hidden layers), in graph order.
std::vector<FeatureLayer> CandidateFeatureLayers(const OnnxModel& model);

// `requested` empty: the automatic choice. Throws UsageError when `requested` names no tensor of
// the graph, Error when the model has several outputs and nothing was requested.
FeatureLayer ChooseFeatureLayer(const OnnxModel& model, const std::string& requested);

// Makes `layer.tensor` the model's only output, as [N, dimension] (a [N, C, 1, 1] tensor is
// flattened), and removes what no longer feeds it. Throws Error when the tensor is not one vector
// per image (e.g. a [N, 1280, 7, 7] feature map).
void CutAtFeatureLayer(OnnxModel& model, const FeatureLayer& layer);

}  // namespace fruits::model
