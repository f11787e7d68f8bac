#include "model/opencv/opencv_backend.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <regex>
#include <set>

#include "model/graph_edit.h"
#include "model/opencv/opencv_normalizer.h"
#include "model/tensor.h"
#include "util/error.h"

namespace fruits::model {

namespace {

// Each concurrent run keeps a network's buffers for a batch: this bounds that memory.
constexpr int64_t kMaxBatch = 256;

// ONNX operators OpenCV 4.6's importer turns into layers (its list, less the Caffe-only names).
const std::set<std::string>& ImportableOperators() {
  static const std::set<std::string> kOperators = {"Add",
                                                   "AveragePool",
                                                   "BatchNormalization",
                                                   "Cast",
                                                   "Clip",
                                                   "Concat",
                                                   "Constant",
                                                   "ConstantOfShape",
                                                   "Conv",
                                                   "ConvTranspose",
                                                   "Div",
                                                   "Dropout",
                                                   "Elu",
                                                   "Expand",
                                                   "Flatten",
                                                   "Gather",
                                                   "Gemm",
                                                   "GlobalAveragePool",
                                                   "GlobalMaxPool",
                                                   "GRU",
                                                   "Identity",
                                                   "InstanceNormalization",
                                                   "LeakyRelu",
                                                   "LogSoftmax",
                                                   "LRN",
                                                   "LSTM",
                                                   "MatMul",
                                                   "Max",
                                                   "MaxPool",
                                                   "MaxUnpool",
                                                   "Mul",
                                                   "Neg",
                                                   "Pad",
                                                   "Pow",
                                                   "PRelu",
                                                   "ReduceMax",
                                                   "ReduceMean",
                                                   "ReduceSum",
                                                   "Relu",
                                                   "Reshape",
                                                   "Resize",
                                                   "Shape",
                                                   "Sigmoid",
                                                   "Slice",
                                                   "Softmax",
                                                   "Split",
                                                   "Squeeze",
                                                   "Sub",
                                                   "Sum",
                                                   "Tanh",
                                                   "Transpose",
                                                   "Unsqueeze",
                                                   "Upsample"};
  return kOperators;
}

// Operators whose inputs past the first OpenCV reads once, at import: they must be constants.
const std::set<std::string>& OperatorsWithConstantParameters() {
  static const std::set<std::string> kOperators = {"Clip",    "Expand", "Pow",
                                                   "Reshape", "Resize", "Upsample"};
  return kOperators;
}

// Operators whose inputs after the first are weights or statistics, which OpenCV 4.6 divides by
// or reads without checking that they hold any value (SIGFPE, SEGV; fuzz/onnx_fuzzer).
const std::set<std::string>& OperatorsWithWeights() {
  static const std::set<std::string> kOperators = {
      "BatchNormalization", "Conv", "ConvTranspose", "Gemm", "InstanceNormalization", "PRelu"};
  return kOperators;
}

bool SameShape(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && !(i == 0 && (a[i] < 0 || b[i] < 0))) return false;
  }
  return true;
}

// The node OpenCV's importer names in its error ("Node [Conv@ai.onnx]:(onnx_node!conv1) parse
// error"), as " at node 'conv1' (Conv)"; "" when it names none.
std::string FailedNode(const std::string& raw) {
  static const std::regex kNode(R"(Node \[([^@\]]+)@[^\]]*\]:\(onnx_node!([^)]*)\))");
  std::smatch match;
  if (!std::regex_search(raw, match, kNode)) return "";
  return " at node '" + match[2].str() + "' (" + match[1].str() + ")";
}

// OpenCV's error in our words: what failed, where, and what the user can do; OpenCV's own text
// last, for a report.
std::string OpenCvFailure(const std::string& what, const cv::Exception& e) {
  const std::string raw = e.what();
  return what + FailedNode(raw) +
         ": OpenCV 4.6 does not run this part of the graph. Try --backend xnnpack, or report the "
         "model's operator to the fruits project with this message (OpenCV said: " +
         raw + ")";
}

}  // namespace

struct OpenCvBackend::Network {
  cv::dnn::Net net;
};

std::optional<std::string> OpenCvBackend::Refusal(const OnnxModel& model) {
  const onnx::GraphProto& graph = model.proto().graph();
  auto computed = [&graph](const std::string& tensor) {
    return !tensor.empty() && graph::FindInitializer(graph, tensor) == nullptr;
  };
  for (const auto& node : graph.node()) {
    const std::string where = " (node '" + node.name() + "')";
    const bool default_domain = node.domain().empty() || node.domain() == "ai.onnx";
    if (!default_domain || ImportableOperators().count(node.op_type()) == 0) {
      std::string op = default_domain ? node.op_type() : node.domain() + ":" + node.op_type();
      return "operator " + op + where + " is not supported by OpenCV 4.6";
    }
    if (OperatorsWithConstantParameters().count(node.op_type()) > 0) {
      for (int k = 1; k < node.input_size(); ++k) {
        if (computed(node.input(k))) {
          return node.op_type() + where + " takes its input '" + node.input(k) +
                 "' from the graph; OpenCV 4.6 needs a constant there";
        }
      }
    }
    if (OperatorsWithWeights().count(node.op_type()) > 0) {
      for (int k = 1; k < node.input_size(); ++k) {
        const onnx::TensorProto* weights = graph::FindInitializer(graph, node.input(k));
        if (weights != nullptr &&
            std::find(weights->dims().begin(), weights->dims().end(), 0) != weights->dims().end()) {
          return node.op_type() + where + " takes the empty tensor '" + node.input(k) +
                 "' as its input " + std::to_string(k) + ": the model is malformed";
        }
      }
    }
    const std::string& op = node.op_type();
    if ((op == "Mul" || op == "Add" || op == "Sub" || op == "Div") && node.input_size() == 2 &&
        computed(node.input(0)) && computed(node.input(1))) {
      auto a = model.TensorShape(node.input(0));
      auto b = model.TensorShape(node.input(1));
      if (a && b && !SameShape(*a, *b)) {
        return op + where + " broadcasts " + ShapeToString(*a) + " against " + ShapeToString(*b) +
               "; OpenCV 4.6 cannot broadcast two computed tensors";
      }
    }
  }
  return std::nullopt;
}

OpenCvBackend::OpenCvBackend(const OnnxModel& model, const BackendOptions& options)
    : options_(OneRunPerCore(options)),
      model_bytes_(model.Serialize()),
      source_(model.source()),
      input_(model.input()),
      networks_(options_.concurrent_runs, [this] { return NewNetwork(); }) {
  cv::setNumThreads(options_.threads);
  // One image through the network: proves OpenCV runs the graph and tells the feature size.
  Tensor probe(input_.BatchShape(1));
  feature_dim_ = static_cast<int64_t>(
      networks_.With([&](Network& network) { return Forward(network, probe); }).size());
}

OpenCvBackend::~OpenCvBackend() = default;

int64_t OpenCvBackend::max_batch() const { return kMaxBatch; }

std::unique_ptr<OpenCvBackend::Network> OpenCvBackend::NewNetwork() const {
  auto network = std::make_unique<Network>();
  try {
    network->net = cv::dnn::readNetFromONNX(model_bytes_.data(), model_bytes_.size());
  } catch (const cv::Exception& e) {
    throw Error(OpenCvFailure("OpenCV cannot import model '" + source_ + "'", e));
  }
  network->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  network->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return network;
}

Tensor OpenCvBackend::Run(const Tensor& batch) {
  return networks_.With([&](Network& network) { return Forward(network, batch); });
}

Tensor OpenCvBackend::Forward(Network& network, const Tensor& batch) const {
  const int64_t n = batch.dim(0);
  std::vector<int> sizes(batch.shape().begin(), batch.shape().end());
  // OpenCV reads the blob without copying it or writing to it.
  cv::Mat blob(static_cast<int>(sizes.size()), sizes.data(), CV_32F,
               const_cast<float*>(batch.data()));
  cv::Mat output;
  try {
    network.net.setInput(blob);
    output = network.net.forward();
  } catch (const cv::Exception& e) {
    throw Error(OpenCvFailure(
        "OpenCV fails to run model '" + source_ + "' on a batch of " + std::to_string(n), e));
  }
  if (output.dims < 2 || output.size[0] != n || !output.isContinuous()) {
    throw Error("model '" + source_ + "' gives an output of " + std::to_string(output.dims) +
                " dimensions for " + std::to_string(n) + " images, not one vector per image");
  }
  // One vector per image: at most one dimension past the batch above 1. It need not be the
  // second: OpenCV 4.6's ReduceMean without keepdims gives [N, 1, C] for N > 1 (ShuffleNetV2's
  // x.mean([2, 3])), the same floats in the same order.
  int wide_axes = 0;
  for (int axis = 1; axis < output.dims; ++axis) wide_axes += output.size[axis] != 1;
  if (wide_axes > 1) {
    throw Error("model '" + source_ +
                "' gives a feature map, not one vector per image: choose a tensor after global "
                "pooling with --feature-layer");
  }
  const int64_t dim = static_cast<int64_t>(output.total()) / n;
  if (feature_dim_ >= 0 && dim != feature_dim_) {
    throw Error("model '" + source_ + "' gave " + std::to_string(dim) + " features per image, " +
                std::to_string(feature_dim_) + " before");
  }
  Tensor features({n, dim});
  std::memcpy(features.data(), output.ptr<float>(), features.size() * sizeof(float));
  return features;
}

namespace {

// The backend's copy of the model, normalised for OpenCV's importer.
class OpenCvPrepared : public PreparedModel {
 public:
  explicit OpenCvPrepared(const OnnxModel& model)
      : model_(OnnxModel::Parse(model.Serialize(), model.source())),
        rewrites_(NormalizeForOpenCv(model_.mutable_proto())),
        refusal_(OpenCvBackend::Refusal(model_)) {}

  std::optional<std::string> Refusal() const override { return refusal_; }
  std::vector<std::string> Rewrites() const override { return rewrites_; }
  std::unique_ptr<Backend> Create(const BackendOptions& options) override {
    return std::make_unique<OpenCvBackend>(model_, options);
  }

 private:
  OnnxModel model_;
  std::vector<std::string> rewrites_;
  std::optional<std::string> refusal_;
};

}  // namespace

BackendEntry OpenCvBackendEntry() {
  return {.name = OpenCvBackend::kName,
          .preference = 20,
          .max_batch = kMaxBatch,
          .prepare = [](const OnnxModel& model) -> std::unique_ptr<PreparedModel> {
            return std::make_unique<OpenCvPrepared>(model);
          }};
}

}  // namespace fruits::model
