// ONNX models from strangers (--model): parsing and checking (OnnxModel::Parse), then what
// LoadModel does before a backend runs anything: an input size for open inputs, the feature-layer
// choice and cut, the XNNPACK translation's refusal check, and the OpenCV normalisation and
// refusal check.
//
// Refusals are fruits::Error (UsageError included); anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/feature_layer.h"
#include "model/onnx_model.h"
#include "model/opencv_backend.h"
#include "model/opencv_normalizer.h"
#include "util/error.h"

#ifdef FRUITS_WITH_XNNPACK
#include "model/xnnpack_backend.h"
#endif

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
#ifdef FRUITS_WITH_XNNPACK
    fruits::model::XnnpackBackend::Refusal(model);
#endif
    OnnxModel for_opencv = OnnxModel::Parse(model.Serialize(), model.source());
    fruits::model::NormalizeForOpenCv(for_opencv.mutable_proto());
    fruits::model::OpenCvBackend::Refusal(for_opencv);
  } catch (const fruits::Error&) {
  }
  return 0;
}
