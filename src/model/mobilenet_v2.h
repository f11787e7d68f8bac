// The built-in MobileNetV2 (`fruits model init --arch mobilenet_v2`): for tests and demos only.
//
// Standard MobileNetV2, width 1.0, 1000-class head, as torchvision builds it, written as ONNX
// (opset 13: Conv, BatchNormalization, Clip for ReLU6, Add, GlobalAveragePool, Flatten, Gemm)
// with seeded random weights. Initializers carry torchvision's parameter names
// ("features.0.0.weight", "features.0.1.running_mean", ..., "classifier.1.bias"), so reference
// code can load the same weights into torchvision. Batch norms are calibrated on synthetic images
// so activations stay O(1) through the network. The model's metadata says it is not trained.
#pragma once

#include <cstdint>
#include <string>

namespace fruits::model {

struct MobileNetV2Options {
  // The same seed gives the same weights.
  uint64_t seed = 0;
  // Height and width of the square input.
  int64_t image_size = 224;
};

// The model as ONNX bytes. Throws fruits::Error if calibration cannot run.
std::string BuildMobileNetV2(const MobileNetV2Options& options);

}  // namespace fruits::model
