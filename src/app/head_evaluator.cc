#include "app/head_evaluator.h"

#include <cblas.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "model/graph_edit.h"
#include "util/error.h"

namespace fruits::app {

namespace {

enum class Kind { kAdd, kSub, kMul, kDiv, kMatMul, kSoftmax };

}  // namespace

struct HeadEvaluator::Step {
  Kind kind = Kind::kAdd;
  // Elementwise: one value, or one per column. MatMul: the rows x cols right operand.
  std::vector<float> constant;
  // MatMul: the bias added to each output row (Gemm's C), empty for none.
  std::vector<float> bias;
  int64_t rows = 0;
  int64_t cols = 0;
};

namespace {

[[noreturn]] void Refuse(const onnx::NodeProto& node, const std::string& why) {
  throw UsageError("node '" + node.name() + "' (" + node.op_type() + ") of the app model's head " +
                   why + "; the file was not written by this fruits version's export");
}

std::vector<float> ConstantValues(const onnx::GraphProto& graph, const onnx::NodeProto& node,
                                  int index, std::vector<int64_t>* dims) {
  if (node.input_size() <= index) Refuse(node, "lacks input " + std::to_string(index));
  const onnx::TensorProto* tensor = model::graph::FindInitializer(graph, node.input(index));
  if (tensor == nullptr) Refuse(node, "reads a computed tensor where a constant is expected");
  dims->assign(tensor->dims().begin(), tensor->dims().end());
  const std::vector<double> values = model::graph::TensorValues(*tensor);
  return {values.begin(), values.end()};
}

// The nodes from `input` to `output`, in order; each reads the previous one's output.
std::vector<const onnx::NodeProto*> Chain(const onnx::GraphProto& graph, const std::string& input,
                                          const std::string& output) {
  const std::map<std::string, int> producers = model::graph::Producers(graph);
  std::vector<const onnx::NodeProto*> chain;
  std::string tensor = output;
  while (tensor != input) {
    const auto producer = producers.find(tensor);
    if (producer == producers.end() || chain.size() > static_cast<size_t>(graph.node_size())) {
      throw UsageError("the app model's output '" + output + "' does not follow from '" + input +
                       "'; the file was not written by fruits export");
    }
    const onnx::NodeProto& node = graph.node(producer->second);
    if (node.input_size() == 0) Refuse(node, "has no input");
    chain.push_back(&node);
    tensor = node.input(0);
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

// The column count after a step that needs `needed` columns in (-1: any), checking `cols`.
void Expect(const onnx::NodeProto& node, int64_t& cols, int64_t needed) {
  if (needed < 0) return;
  if (cols >= 0 && cols != needed) {
    Refuse(node, "takes " + std::to_string(needed) + " columns where " + std::to_string(cols) +
                     " arrive");
  }
  cols = needed;
}

}  // namespace

HeadEvaluator::HeadEvaluator(const onnx::GraphProto& graph, const std::string& input,
                             const std::string& output) {
  static const std::map<std::string, Kind> kElementwise = {
      {"Add", Kind::kAdd}, {"Sub", Kind::kSub}, {"Mul", Kind::kMul}, {"Div", Kind::kDiv}};
  int64_t cols = -1;
  for (const onnx::NodeProto* node : Chain(graph, input, output)) {
    Step step;
    std::vector<int64_t> dims;
    if (const auto elementwise = kElementwise.find(node->op_type());
        elementwise != kElementwise.end()) {
      step.kind = elementwise->second;
      step.constant = ConstantValues(graph, *node, 1, &dims);
      const int64_t count = static_cast<int64_t>(step.constant.size());
      if (dims.size() > 2 || (dims.size() == 2 && dims[0] != 1)) {
        Refuse(*node, "has a constant that is not one value per column");
      }
      if (count != 1) Expect(*node, cols, count);
    } else if (node->op_type() == "MatMul" || node->op_type() == "Gemm") {
      step.kind = Kind::kMatMul;
      const bool gemm = node->op_type() == "Gemm";
      std::vector<float> b = ConstantValues(graph, *node, 1, &dims);
      if (dims.size() != 2) Refuse(*node, "has weights that are not a matrix");
      if (gemm && (model::graph::Int(*node, "transA", 0) != 0 ||
                   model::graph::Float(*node, "alpha", 1) != 1 ||
                   model::graph::Float(*node, "beta", 1) != 1)) {
        Refuse(*node, "uses transA, alpha or beta");
      }
      const bool trans_b = gemm && model::graph::Int(*node, "transB", 0) != 0;
      step.rows = trans_b ? dims[1] : dims[0];
      step.cols = trans_b ? dims[0] : dims[1];
      step.constant.resize(b.size());
      for (int64_t r = 0; r < step.rows; ++r) {
        for (int64_t c = 0; c < step.cols; ++c) {
          step.constant[r * step.cols + c] = trans_b ? b[c * step.rows + r] : b[r * step.cols + c];
        }
      }
      if (gemm && node->input_size() > 2) {
        std::vector<int64_t> bias_dims;
        step.bias = ConstantValues(graph, *node, 2, &bias_dims);
        if (static_cast<int64_t>(step.bias.size()) != step.cols) {
          Refuse(*node, "has a bias that is not one value per output column");
        }
      }
      Expect(*node, cols, step.rows);
      if (input_dim_ < 0) input_dim_ = step.rows;
      cols = step.cols;
    } else if (node->op_type() == "Softmax") {
      const int64_t axis = model::graph::Int(*node, "axis", -1);
      if (axis != -1 && axis != 1) Refuse(*node, "is not over the last axis");
      step.kind = Kind::kSoftmax;
    } else {
      Refuse(*node, "is not an operator the head may use");
    }
    if (input_dim_ < 0 && cols >= 0) input_dim_ = cols;
    steps_.push_back(std::move(step));
  }
  if (cols < 0) {
    throw UsageError("the app model's head from '" + input + "' to '" + output +
                     "' fixes no width; the file was not written by fruits export");
  }
  output_dim_ = cols;
}

HeadEvaluator::~HeadEvaluator() = default;

model::Tensor HeadEvaluator::Run(const model::Tensor& in) const {
  const int64_t n = in.dim(0);
  model::Tensor x = in;
  for (const Step& step : steps_) {
    const int64_t cols = static_cast<int64_t>(x.RowSize());
    switch (step.kind) {
      case Kind::kAdd:
      case Kind::kSub:
      case Kind::kMul:
      case Kind::kDiv: {
        const bool scalar = step.constant.size() == 1;
        for (int64_t r = 0; r < n; ++r) {
          float* row = x.row(r);
          for (int64_t c = 0; c < cols; ++c) {
            const float v = step.constant[scalar ? 0 : c];
            switch (step.kind) {
              case Kind::kAdd:
                row[c] += v;
                break;
              case Kind::kSub:
                row[c] -= v;
                break;
              case Kind::kMul:
                row[c] *= v;
                break;
              default:
                row[c] /= v;
                break;
            }
          }
        }
        break;
      }
      case Kind::kMatMul: {
        model::Tensor out({n, step.cols});
        for (int64_t r = 0; r < n && !step.bias.empty(); ++r) {
          std::copy(step.bias.begin(), step.bias.end(), out.row(r));
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n),
                    static_cast<int>(step.cols), static_cast<int>(step.rows), 1.0f, x.data(),
                    static_cast<int>(step.rows), step.constant.data(), static_cast<int>(step.cols),
                    step.bias.empty() ? 0.0f : 1.0f, out.data(), static_cast<int>(step.cols));
        x = std::move(out);
        break;
      }
      case Kind::kSoftmax:
        for (int64_t r = 0; r < n; ++r) {
          float* row = x.row(r);
          const float max = *std::max_element(row, row + cols);
          float sum = 0;
          for (int64_t c = 0; c < cols; ++c) sum += row[c] = std::exp(row[c] - max);
          for (int64_t c = 0; c < cols; ++c) row[c] /= sum;
        }
        break;
    }
  }
  return x;
}

}  // namespace fruits::app
