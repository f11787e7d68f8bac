// Calibrating batch norms of a randomly initialised network, so its activations stay O(1).
//
// Used by the built-in architectures: a network with random weights and textbook batch-norm
// statistics (mean 0, variance 1) lets activations grow or vanish layer after layer; setting
// each batch norm's statistics to those of its actual input makes every normalised activation
// have the scale and shift the batch norm's own parameters ask for.
#pragma once

#include <cstdint>

#include "model/onnx_model.h"
#include "model/tensor.h"

namespace fruits::model {

// Smooth random colour images in [-1, 1] (a MobileNet-preprocessed range), NCHW [n, 3, size,
// size]: low-frequency fields like photographs, not white noise. The same seed gives the same
// images.
Tensor SyntheticImages(uint64_t seed, int64_t n, int64_t size);

// Sets each BatchNormalization's running mean and variance, in graph order, to the per-channel
// statistics of its input when `images` go through the network (OpenCV computes them).
// REQUIRES: images are an NCHW batch of the model's input size.
void CalibrateBatchNorms(OnnxModel& model, const Tensor& images);

}  // namespace fruits::model
