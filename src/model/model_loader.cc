#include "model/model_loader.h"

#include <onnx/onnx_pb.h>

#include <algorithm>

#include "model/opencv_backend.h"
#include "model/opencv_normalizer.h"
#include "util/error.h"
#include "util/log.h"

#ifdef FRUITS_WITH_XNNPACK
#include "model/xnnpack_backend.h"
#endif

namespace fruits::model {

namespace {

constexpr std::string_view kAuto = "auto";

struct Built {
  std::vector<std::string> rewrites;
  std::unique_ptr<Backend> backend;
};

Built BuildOpenCv(const OnnxModel& model, const ModelOptions& options) {
  OnnxModel for_opencv = OnnxModel::Parse(model.Serialize(), model.source());
  std::vector<std::string> rewrites = NormalizeForOpenCv(for_opencv.mutable_proto());
  if (auto refusal = OpenCvBackend::Refusal(for_opencv)) {
    throw Error("model '" + model.source() + "' cannot run on the opencv backend: " + *refusal);
  }
  return {std::move(rewrites),
          std::make_unique<OpenCvBackend>(for_opencv, options.backend_options)};
}

#ifdef FRUITS_WITH_XNNPACK
Built BuildXnnpack(const OnnxModel& model, const ModelOptions& options) {
  auto backend = std::make_unique<XnnpackBackend>(model, options.backend_options);
  std::vector<std::string> facts = backend->translation_facts();
  return {std::move(facts), std::move(backend)};
}

Built BuildBackend(const OnnxModel& model, const ModelOptions& options) {
  if (options.backend == OpenCvBackend::kName) return BuildOpenCv(model, options);
  if (options.backend == XnnpackBackend::kName) return BuildXnnpack(model, options);
  if (auto refusal = XnnpackBackend::Refusal(model)) {
    LogInfo("backend opencv: XNNPACK cannot run model '" + model.source() + "': " + *refusal);
    return BuildOpenCv(model, options);
  }
  return BuildXnnpack(model, options);
}
#else
Built BuildBackend(const OnnxModel& model, const ModelOptions& options) {
  if (options.backend == "xnnpack") {
    throw UsageError("this build of fruits has no XNNPACK backend: choose opencv");
  }
  return BuildOpenCv(model, options);
}
#endif

}  // namespace

std::vector<std::string> BackendNames() {
  return {std::string(kAuto), "xnnpack", std::string(OpenCvBackend::kName)};
}

LoadedModel LoadModel(OnnxModel model, const ModelOptions& options) {
  const std::vector<std::string> names = BackendNames();
  if (std::find(names.begin(), names.end(), options.backend) == names.end()) {
    throw UsageError("unknown backend '" + options.backend + "': choose auto, xnnpack or opencv");
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

  Built built = BuildBackend(model, options);
  layer.dimension = built.backend->feature_dim();
  return {std::move(model), std::move(layer), std::move(built.rewrites), std::move(built.backend)};
}

}  // namespace fruits::model
