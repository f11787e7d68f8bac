// Runs a float model on batches of preprocessed images and hands the values of chosen tensors to
// a callback: what calibration observes.
//
// The model runs on the XNNPACK backend's plan, with every observed tensor kept whole in a buffer
// of its own (operators that would fuse into an observed tensor's producer, such as a following
// Relu, are not fused, so each tensor holds exactly the values the ONNX graph gives it). The
// values come in the order the backend stores them (channels last), which a per-tensor statistic
// does not see.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/layout.h"
#include "model/onnx_model.h"
#include "model/tensor.h"

namespace fruits::model::quantization {

class ActivationRecorder {
 public:
  // REQUIRES: `model` cut at its feature layer and prepared (LoadedModel::graph), float.
  // Throws Error when the XNNPACK backend cannot run it or a tensor is not computed by it.
  ActivationRecorder(const OnnxModel& model, std::vector<std::string> tensors, int threads);
  ~ActivationRecorder();

  // The tensor Run() takes (always NHWC floats, as the XNNPACK backend's).
  const ImageInput& input() const;

  // REQUIRES: batch.shape() == input().BatchShape(n), n >= 1. Calls visit(i, values) once per
  // observed tensor, in the constructor's order, with that tensor's values for the whole batch.
  void Run(const Tensor& batch,
           const std::function<void(size_t tensor, std::span<const float> values)>& visit);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fruits::model::quantization
