#include "model/batch_norm_calibration.h"

#include <onnx/onnx_pb.h>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "model/graph_edit.h"
#include "model/opencv/opencv_normalizer.h"
#include "util/error.h"

namespace fruits::model {

namespace {

struct ChannelStatistics {
  std::vector<double> mean;
  std::vector<double> variance;
};

// Runs the network up to `tensor` and returns that tensor's per-channel statistics.
ChannelStatistics StatisticsOf(const OnnxModel& model, const std::string& tensor,
                               const Tensor& images) {
  onnx::ModelProto truncated = model.proto();
  auto& graph = *truncated.mutable_graph();
  graph.clear_output();
  auto& output = *graph.add_output();
  output.set_name(tensor);
  auto& type = *output.mutable_type()->mutable_tensor_type();
  type.set_elem_type(onnx::TensorProto::FLOAT);
  // OpenCV's importer wants a shape on every graph output, if only an open one.
  for (int64_t dim : model.TensorShape(tensor).value_or(std::vector<int64_t>(4, -1))) {
    if (dim >= 0) {
      type.mutable_shape()->add_dim()->set_dim_value(dim);
    } else {
      type.mutable_shape()->add_dim()->set_dim_param("open");
    }
  }
  graph::RemoveUnused(graph);
  NormalizeForOpenCv(truncated);
  std::string bytes;
  truncated.SerializeToString(&bytes);

  std::vector<int> sizes(images.shape().begin(), images.shape().end());
  cv::Mat blob(4, sizes.data(), CV_32F, const_cast<float*>(images.data()));
  cv::Mat out;
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    net.setInput(blob);
    out = net.forward();
  } catch (const cv::Exception& e) {
    throw Error("batch-norm calibration cannot run the network up to '" + tensor +
                "': " + e.what());
  }
  const int n = out.size[0], channels = out.size[1];
  const size_t plane = out.total() / (static_cast<size_t>(n) * channels);
  ChannelStatistics stats{std::vector<double>(channels), std::vector<double>(channels)};
  const float* values = out.ptr<float>();
  for (int c = 0; c < channels; ++c) {
    double sum = 0, sum_squares = 0;
    for (int i = 0; i < n; ++i) {
      const float* p = values + (static_cast<size_t>(i) * channels + c) * plane;
      for (size_t k = 0; k < plane; ++k) {
        sum += p[k];
        sum_squares += static_cast<double>(p[k]) * p[k];
      }
    }
    const double count = static_cast<double>(n) * plane;
    stats.mean[c] = sum / count;
    stats.variance[c] = std::max(0.0, sum_squares / count - stats.mean[c] * stats.mean[c]);
  }
  return stats;
}

void SetValues(onnx::GraphProto& graph, const std::string& name,
               const std::vector<double>& values) {
  for (auto& tensor : *graph.mutable_initializer()) {
    if (tensor.name() != name) continue;
    std::vector<float> floats(values.begin(), values.end());
    tensor.clear_float_data();
    tensor.set_raw_data(floats.data(), floats.size() * sizeof(float));
    return;
  }
}

}  // namespace

Tensor SyntheticImages(uint64_t seed, int64_t n, int64_t size) {
  std::mt19937_64 engine(seed ^ 0x9e3779b97f4a7c15ull);
  auto uniform = [&] { return static_cast<float>((engine() >> 11) * 0x1.0p-53 * 2 - 1); };
  Tensor images({n, 3, size, size});
  const int side = static_cast<int>(size);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < 3; ++c) {
      cv::Mat coarse(6, 6, CV_32F);
      for (int k = 0; k < 36; ++k) coarse.at<float>(k) = uniform();
      cv::Mat plane(side, side, CV_32F, images.data() + (i * 3 + c) * size * size);
      cv::resize(coarse, plane, plane.size(), 0, 0, cv::INTER_CUBIC);
      cv::max(plane, -1.0, plane);
      cv::min(plane, 1.0, plane);
    }
  }
  return images;
}

void CalibrateBatchNorms(OnnxModel& model, const Tensor& images) {
  onnx::GraphProto& graph = *model.mutable_proto().mutable_graph();
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    if (node.op_type() != "BatchNormalization") continue;
    ChannelStatistics stats = StatisticsOf(model, node.input(0), images);
    SetValues(graph, node.input(3), stats.mean);
    SetValues(graph, node.input(4), stats.variance);
  }
}

}  // namespace fruits::model
