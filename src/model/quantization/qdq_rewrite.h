// Making a float ONNX model a standard QDQ int8 model: QuantizeLinear / DequantizeLinear pairs
// that onnxruntime, TensorRT and our XNNPACK backend all read as "run this part in int8".
//
// Only the backbone is quantized: the nodes the feature tensor depends on. The head (the
// classifier layers after the feature tensor, a Softmax) stays float and is listed. Within the
// backbone the quantized operators are Conv, Gemm and MatMul by a constant matrix, Add, Mul and
// Sub of two computed tensors, GlobalAveragePool, MaxPool and AveragePool:
// - each computed input of one of them, and its output, gets a QuantizeLinear -> DequantizeLinear
//   pair (one per tensor, shared by every reader; a Relu or Clip that is the output's only reader
//   moves the pair to its own output, as onnxruntime's quantizer does);
// - weights become int8 initializers, symmetric ([-127, 127], zero point 0), one scale per output
//   channel (axis 0 of a Conv's or a transposed Gemm's weights, axis 1 of a MatMul's), read
//   through a DequantizeLinear;
// - biases become int32 initializers with scale input_scale * weight_scale[c], zero point 0.
// The other nodes are unchanged and keep computing in float on dequantized tensors. Tensor names
// the rest of the graph uses do not change (the feature tensor keeps its name), so `extract`
// finds the same feature layer in the quantized file. The result declares opset 13 or later
// (per-axis DequantizeLinear); an older model is converted to opset 13 first, or refused when
// ONNX's converter cannot.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/onnx_model.h"
#include "model/quantization/activation_ranges.h"

namespace fruits::model::quantization {

struct QuantizationPlan {
  // The activation tensors to calibrate, in graph order: every one gets a QDQ pair.
  std::vector<std::string> tensors;
  // The nodes that will run in int8, as "Conv 'name'", in graph order.
  std::vector<std::string> quantized_nodes;
  // The nodes that stay float, as "Softmax 'name'": the head, and backbone operators outside the
  // list above (HardSwish, Sigmoid, Concat, ...); Identity-like and reshaping nodes are left out.
  std::vector<std::string> float_nodes;
};

// Folds each BatchNormalization (inference form, constant parameters) that alone reads a Conv's
// output into that Conv's weights and bias, as exporters in eval mode do; the Conv then writes the
// BatchNormalization's output tensor, so the names the rest of the graph reads do not change.
// Quantization needs it: an int8 convolution carries its bias, while a BatchNormalization left
// between a Conv and its Relu would keep both float. Call it before PlanQuantization and before
// calibrating (the recorded tensors are those of the folded graph). Returns the number folded.
int FoldBatchNorms(OnnxModel& model);

// REQUIRES: `model` is float (no QuantizeLinear / DequantizeLinear), prepared (PrepareGraph) and
// its input size fixed; `feature_tensor` is one of its tensors. Throws Error for a model that is
// already quantized.
QuantizationPlan PlanQuantization(const OnnxModel& model, const std::string& feature_tensor);

// Inserts the plan's QDQ pairs with the calibrated parameters (one per plan tensor, by name) and
// quantizes the weights and biases of the plan's nodes. `description` goes into the model's
// metadata as "fruits.quantization" (how it was calibrated). Deterministic: the same model,
// plan and parameters give the same bytes.
void InsertQdq(OnnxModel& model, const QuantizationPlan& plan,
               const std::map<std::string, ActivationQuantization>& parameters,
               const std::string& description);

// Whether a model holds QDQ pairs (is quantized), for the manifest and the Parquet footers.
bool IsQuantized(const OnnxModel& model);

}  // namespace fruits::model::quantization
