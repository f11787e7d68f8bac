#include "model/model_loader.h"

#include <onnx/onnx_pb.h>

#include "model/opencv_backend.h"
#include "model/opencv_normalizer.h"
#include "util/error.h"

namespace fruits::model {

std::vector<std::string> BackendNames() { return {std::string(OpenCvBackend::kName)}; }

LoadedModel LoadModel(OnnxModel model, const ModelOptions& options) {
  if (options.backend != OpenCvBackend::kName) {
    throw UsageError("unknown backend '" + options.backend + "': choose opencv");
  }
  if (options.input_height > 0 && options.input_width > 0) {
    model.SetInputSize(options.input_height, options.input_width);
  }
  if (!model.input().HasFixedSize()) {
    throw UsageError("model '" + model.source() + "' leaves its input size open (" +
                     model.input().ToString() + "): give the image size with --input-size");
  }
  FeatureLayer layer = ChooseFeatureLayer(model, options.feature_layer);
  CutAtFeatureLayer(model, layer);

  OnnxModel for_opencv = OnnxModel::Parse(model.Serialize(), model.source());
  std::vector<std::string> rewrites = NormalizeForOpenCv(for_opencv.mutable_proto());
  if (auto refusal = OpenCvBackend::Refusal(for_opencv)) {
    throw Error("model '" + model.source() + "' cannot run on the " + options.backend +
                " backend: " + *refusal);
  }
  auto backend = std::make_unique<OpenCvBackend>(for_opencv, options.backend_options);
  layer.dimension = backend->feature_dim();
  return {std::move(model), std::move(layer), std::move(rewrites), std::move(backend)};
}

}  // namespace fruits::model
