// The head of an exported app model, evaluated on rows of floats: the chain of nodes from the
// features to the probabilities (PCA, classifier, Softmax).
//
// It runs what `fruits export` writes and nothing else: Add, Sub, Mul and Div by a constant of
// one value or one per column, MatMul and Gemm by constant weights, Softmax over the last axis;
// each node reads the one before it. Float32 arithmetic, as ONNX runtimes do. Immutable once
// built: Run() is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/tensor.h"

namespace onnx {
class GraphProto;
}

namespace fruits::app {

class HeadEvaluator {
 public:
  // Throws UsageError naming the node when the chain from `input` to `output` holds anything
  // else, or when the constants' shapes disagree.
  HeadEvaluator(const onnx::GraphProto& graph, const std::string& input, const std::string& output);
  ~HeadEvaluator();

  int64_t input_dim() const { return input_dim_; }
  int64_t output_dim() const { return output_dim_; }
  // REQUIRES: in is [n, input_dim()]. Returns [n, output_dim()].
  model::Tensor Run(const model::Tensor& in) const;

 private:
  struct Step;

  std::vector<Step> steps_;
  int64_t input_dim_ = -1;
  int64_t output_dim_ = -1;
};

}  // namespace fruits::app
