#include "model/quantization/activation_recorder.h"

#include <pthreadpool.h>

#include <functional>
#include <numeric>

#include "model/xnnpack/xnnpack_program.h"
#include "model/xnnpack/xnnpack_translator.h"
#include "util/error.h"

namespace fruits::model::quantization {

struct ActivationRecorder::State {
  xnn::Plan plan;
  pthreadpool_t pool = nullptr;
  // The program of the last batch size seen.
  size_t batch = 0;
  std::unique_ptr<xnn::Program> program;

  ~State() {
    program.reset();
    if (pool != nullptr) pthreadpool_destroy(pool);
  }
};

ActivationRecorder::ActivationRecorder(const OnnxModel& model, std::vector<std::string> tensors,
                                       int threads)
    : state_(std::make_unique<State>()) {
  xnn::Translation translation = xnn::Translate(model, tensors);
  if (!translation.plan) {
    throw Error("calibration runs the model '" + model.source() +
                "' on the XNNPACK backend, which cannot run it: " + translation.refusal);
  }
  state_->plan = std::move(*translation.plan);
  xnn::InitializeXnnpack();
  if (threads > 1) state_->pool = pthreadpool_create(threads);
}

ActivationRecorder::~ActivationRecorder() = default;

const ImageInput& ActivationRecorder::input() const { return state_->plan.image; }

void ActivationRecorder::Run(
    const Tensor& batch,
    const std::function<void(size_t tensor, std::span<const float> values)>& visit) {
  const auto n = static_cast<size_t>(batch.dim(0));
  if (state_->program == nullptr || state_->batch != n) {
    state_->program.reset();
    state_->program = std::make_unique<xnn::Program>(state_->plan, state_->pool, n);
    state_->batch = n;
  }
  Tensor features({batch.dim(0), state_->plan.feature_dim});
  state_->program->Run(batch.data(), features.data());
  for (size_t i = 0; i < state_->plan.observed.size(); ++i) {
    const uint32_t value = state_->plan.observed[i];
    const std::vector<size_t>& dims = state_->program->Dims(value);
    const size_t count = std::accumulate(dims.begin(), dims.end(), size_t{1}, std::multiplies<>());
    visit(i, {state_->program->Data(value), count});
  }
}

}  // namespace fruits::model::quantization
