// Which tensor holds an image's features, and cutting the graph there.
//
// By default the feature layer is the input of the final classifier: walking back from the
// model's output past a Softmax and a bias Add, the first input of the last Gemm or MatMul (for
// MobileNetV2 the 1280 pooled floats). A model that already ends without a classifier gives its
// output. `--feature-layer NAME` picks any tensor that is one vector per image.
#pragma once

#include <cstdint>
#include <string>

#include "model/onnx_model.h"

namespace fruits::model {

struct FeatureLayer {
  std::string tensor;
  // Floats per image; -1 while shape inference cannot tell (the backend then finds out).
  int64_t dimension = -1;
  // Why this tensor, for the log line users read: "input of the final classifier Gemm 'fc'".
  std::string reason;
};

// `requested` empty: the automatic choice. Throws UsageError when `requested` names no tensor of
// the graph, Error when the model has several outputs and nothing was requested.
FeatureLayer ChooseFeatureLayer(const OnnxModel& model, const std::string& requested);

// Makes `layer.tensor` the model's only output, as [N, dimension] (a [N, C, 1, 1] tensor is
// flattened), and removes what no longer feeds it. Throws Error when the tensor is not one vector
// per image (e.g. a [N, 1280, 7, 7] feature map).
void CutAtFeatureLayer(OnnxModel& model, const FeatureLayer& layer);

}  // namespace fruits::model
