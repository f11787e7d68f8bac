// ONNX models from strangers (--model): parsing and checking (OnnxModel::Parse), then what
// LoadModel does before a backend runs anything: an input size for open inputs, the feature-layer
// choice and cut, then every registered backend's preparation (the XNNPACK translation, the
// OpenCV normalisation) and its refusal check.
//
// Refusals are fruits::Error (UsageError included); anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "model/backend_registry.h"
#include "model/feature_layer.h"
#include "model/onnx_model.h"
#include "util/error.h"

using fruits::model::OnnxModel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    OnnxModel model =
        OnnxModel::Parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    model.OperatorTypes();
    model.OutputNames();
    model.opset();
    if (!model.input().HasFixedSize()) model.SetInputSize(4, 4);
    fruits::model::FeatureLayer layer = fruits::model::ChooseFeatureLayer(model, "");
    fruits::model::CutAtFeatureLayer(model, layer);
    // A preparation never throws for a graph its backend cannot run: it says why in Refusal().
    for (const fruits::model::BackendEntry& backend : fruits::model::RegisteredBackends()) {
      std::unique_ptr<fruits::model::PreparedModel> prepared = backend.prepare(model);
      prepared->Refusal();
      prepared->Rewrites();
    }
  } catch (const fruits::Error&) {
  }
  return 0;
}
