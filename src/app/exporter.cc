#include "app/exporter.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/app_metadata.h"
#include "image/preprocessor.h"
#include "model/feature_layer.h"
#include "model/graph_builder.h"
#include "model/graph_edit.h"
#include "util/error.h"
#include "util/version.h"

namespace fruits::app {

namespace {

// The opset the graph is written against (the target: onnxruntime-mobile and -web run it).
constexpr int64_t kOpset = 13;
constexpr int64_t kIrVersion = 7;  // the IR version that brought opset 13

// How the classifier's features were made, from model.json's "model.preprocessing", written by
// the pipeline as "mobilenet, bicubic resize to 64x64, NCHW".
struct TrainingPreprocessing {
  image::Normalization normalization = image::Normalization::kMobileNet;
  image::ResizeFilter filter = image::ResizeFilter::kBicubic;
  int64_t width = 0;
  int64_t height = 0;
};

TrainingPreprocessing ParsePreprocessing(const std::string& text) {
  const auto fail = [&]() -> TrainingPreprocessing {
    throw UsageError("the classifier's model.json records preprocessing '" + text +
                     "', which fruits export cannot read; retrain it with this fruits version");
  };
  const size_t comma = text.find(", ");
  const size_t resize = text.find(" resize to ");
  if (comma == std::string::npos || resize == std::string::npos || resize < comma) return fail();
  TrainingPreprocessing result;
  try {
    result.normalization = image::ParseNormalization(text.substr(0, comma));
    result.filter = image::ParseResizeFilter(text.substr(comma + 2, resize - comma - 2));
  } catch (const UsageError&) {
    return fail();
  }
  const std::string size = text.substr(resize + 11);
  if (std::sscanf(size.c_str(), "%ldx%ld", &result.width, &result.height) != 2) return fail();
  return result;
}

// The training normalisation as float32 nodes, in the Preprocessor's order of operations (so the
// backbone sees the same values), under names of our own ("fruits/..."): constants shaped for
// the channel axis of `layout`.
std::string Normalize(model::GraphBuilder& b, std::string x, image::Normalization normalization,
                      model::Layout layout) {
  const std::vector<int64_t> channel_dims =
      layout == model::Layout::kNchw ? std::vector<int64_t>{1, 3, 1, 1} : std::vector<int64_t>{3};
  const auto per_channel = [&](const std::string& name, const float(&values)[3]) {
    return b.Initializer(name, channel_dims, {values[0], values[1], values[2]});
  };
  switch (normalization) {
    case image::Normalization::kMobileNet:
      x = b.Node("Div", {x, b.Initializer("fruits/127.5", {}, {127.5f})}, "fruits/scaled");
      return b.Node("Sub", {x, b.Initializer("fruits/1", {}, {1.0f})}, "fruits/normalized");
    case image::Normalization::kImageNet:
      x = b.Node("Div", {x, b.Initializer("fruits/255", {}, {255.0f})}, "fruits/scaled");
      x = b.Node("Sub", {x, per_channel("fruits/imagenet_mean", image::kImageNetMean)},
                 "fruits/centred");
      return b.Node("Div", {x, per_channel("fruits/imagenet_std", image::kImageNetStd)},
                    "fruits/normalized");
    case image::Normalization::kCaffe: {
      if (layout == model::Layout::kNchw) {
        // Channel reversal and mean as one 1x1 Conv: weights of 0 and 1 make x - mean exactly
        // (every engine runs a Conv; XNNPACK has no Gather).
        std::vector<float> reverse(9, 0.0f);
        for (int c = 0; c < 3; ++c) reverse[c * 3 + (2 - c)] = 1.0f;
        const std::vector<float> bias = {-image::kCaffeMeanBgr[0], -image::kCaffeMeanBgr[1],
                                         -image::kCaffeMeanBgr[2]};
        return b.Node("Conv",
                      {x, b.Initializer("fruits/bgr_order", {3, 3, 1, 1}, reverse),
                       b.Initializer("fruits/caffe_mean_bgr", {3}, bias)},
                      "fruits/normalized", {{"kernel_shape", std::vector<int64_t>{1, 1}}});
      }
      x = b.Node("Gather", {x, b.Int64Initializer("fruits/bgr_order", {3}, {2, 1, 0})},
                 "fruits/bgr", {{"axis", int64_t{3}}});
      return b.Node("Sub", {x, per_channel("fruits/caffe_mean_bgr", image::kCaffeMeanBgr)},
                    "fruits/normalized");
    }
    case image::Normalization::kNone:
      return x;
  }
  return x;
}

std::vector<float> ToFloats(const std::vector<double>& values) {
  return {values.begin(), values.end()};
}

// components (k x d, row-major) transposed: the d x k right operand of MatMul.
std::vector<float> Transposed(const std::vector<double>& components, int64_t k, int64_t d) {
  std::vector<float> out(static_cast<size_t>(k * d));
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = 0; j < d; ++j) out[j * k + i] = static_cast<float>(components[i * d + j]);
  }
  return out;
}

// The backbone's Transpose(perm = [0, 3, 1, 2]) of its NHWC input when that is the input's only
// reader (tf2onnx's Keras exports), or nullptr.
const onnx::NodeProto* NhwcInputTranspose(const onnx::GraphProto& graph, const std::string& input) {
  if (model::graph::UseCounts(graph)[input] != 1) return nullptr;
  return model::graph::NhwcToNchwTranspose(graph, input);
}

// PCA, classifier, Softmax, ArgMax and the labels after `features`; returns nothing: the graph's
// outputs are named in the file's metadata.
void AppendHead(model::GraphBuilder& b, const std::string& features,
                const classify::Classifier& classifier) {
  const pca::PcaModel& pca = classifier.pca();
  const int64_t d = pca.d_in();
  const int64_t k = pca.d_out();
  std::string x =
      b.Node("Sub", {features, b.Initializer("fruits/pca_mean", {d}, ToFloats(pca.mean()))},
             "fruits/pca_centred");
  x = b.Node(
      "MatMul",
      {x, b.Initializer("fruits/pca_components_t", {d, k}, Transposed(pca.components(), k, d))},
      "fruits/pca");
  if (pca.whiten()) {
    std::vector<float> scale(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i) {
      scale[i] = static_cast<float>(1.0 / std::sqrt(pca.explained_variance()[i]));
    }
    x = b.Node("Mul", {x, b.Initializer("fruits/pca_whitening", {k}, scale)},
               "fruits/pca_whitened");
  }
  const classify::SoftmaxRegression& regression = classifier.regression();
  const int64_t c = regression.num_labels();
  x = b.Node("Gemm",
             {x, b.Initializer("fruits/classifier_weights", {c, k}, ToFloats(regression.weights())),
              b.Initializer("fruits/classifier_bias", {c}, ToFloats(regression.bias()))},
             "fruits/logits", {{"transB", int64_t{1}}});
  b.Node("Softmax", {x}, "probabilities", {{"axis", int64_t{1}}});
  b.Node("ArgMax", {"probabilities"}, "label_index",
         {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}});
  // A string tensor, which the builder's attributes do not hold.
  onnx::NodeProto& labels = *b.mutable_proto().mutable_graph()->add_node();
  labels.set_op_type("Constant");
  labels.set_name("labels");
  labels.add_output("labels");
  onnx::AttributeProto& value = *labels.add_attribute();
  value.set_name("value");
  value.set_type(onnx::AttributeProto::TENSOR);
  onnx::TensorProto& tensor = *value.mutable_t();
  tensor.set_data_type(onnx::TensorProto::STRING);
  tensor.add_dims(c);
  for (const std::string& label : classifier.labels()) tensor.add_string_data(label);
}

std::string ResizeRule(image::ResizeFilter filter) {
  switch (filter) {
    case image::ResizeFilter::kBicubic:
      return "Pillow Image.resize BICUBIC: cubic convolution a = -0.5, support widened by the "
             "scale when downscaling (antialiased), 8-bit result rounded";
    case image::ResizeFilter::kBilinear:
      return "Pillow Image.resize BILINEAR: triangle filter, support widened by the scale when "
             "downscaling (antialiased), 8-bit result rounded";
    case image::ResizeFilter::kArea:
      return "Pillow Image.resize BOX: the average of the pixels each output pixel covers";
    case image::ResizeFilter::kNearest:
      return "Pillow Image.resize NEAREST";
  }
  return "";
}

std::string NormalizationRule(image::Normalization normalization) {
  switch (normalization) {
    case image::Normalization::kMobileNet:
      return "x / 127.5 - 1";
    case image::Normalization::kImageNet:
      return "(x / 255 - mean) / std, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)";
    case image::Normalization::kCaffe:
      return "BGR order, x - mean, mean (103.939, 116.779, 123.68)";
    case image::Normalization::kNone:
      return "x";
  }
  return "";
}

// The backbone as the export needs it: the model the features came from, at opset 13 or later,
// with the training image size.
model::OnnxModel PrepareBackbone(model::OnnxModel backbone, const nlohmann::ordered_json& trained,
                                 const TrainingPreprocessing& preprocessing) {
  const std::string trained_sha = trained.value("sha256", "");
  if (!trained_sha.empty() && trained_sha != backbone.sha256()) {
    throw UsageError("the classifier was trained on features of another model (SHA-256 " +
                     trained_sha + "), not '" + backbone.source() + "' (" + backbone.sha256() +
                     "): export it with the model its features were extracted with");
  }
  if (backbone.input().channels != 3) {
    throw UsageError("model '" + backbone.source() + "' takes " +
                     std::to_string(backbone.input().channels) +
                     "-channel images; fruits export writes RGB app models only");
  }
  backbone.UpgradeOpset(kOpset, "the app model");
  backbone.SetInputSize(preprocessing.height, preprocessing.width);
  const model::FeatureLayer layer =
      model::ChooseFeatureLayer(backbone, trained.value("feature_layer", ""));
  model::CutAtFeatureLayer(backbone, layer);
  return backbone;
}

struct Evaluation {
  std::optional<double> accuracy;
  std::string source;
};

// The accuracy in `metrics_uri` when it evaluated this classifier; `required`: refuse otherwise.
Evaluation ReadEvaluation(storage::ObjectStore& store, const std::string& metrics_uri,
                          const std::string& classifier_digest, bool required) {
  Result<std::string> bytes = store.Read(metrics_uri);
  if (!bytes.ok()) {
    if (required)
      throw UsageError("cannot read evaluation '" + metrics_uri + "': " + bytes.error());
    return {};
  }
  const nlohmann::json metrics = nlohmann::json::parse(bytes.value(), nullptr, false);
  const bool matches = metrics.is_object() && metrics.contains("accuracy") &&
                       metrics["accuracy"].is_number() && metrics.contains("classifier") &&
                       metrics["classifier"].value("digest", "") == classifier_digest;
  if (!matches) {
    if (required) {
      throw UsageError("evaluation '" + metrics_uri +
                       "' is not an evaluation of this classifier (its classifier digest "
                       "differs): give the EVAL folder fruits evaluate wrote for it");
    }
    return {};
  }
  return {metrics["accuracy"].get<double>(), metrics_uri};
}

std::string Parent(const std::string& folder) {
  std::string trimmed = folder;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.find_last_of('/');
  return slash == std::string::npos ? "." : trimmed.substr(0, slash);
}

}  // namespace

std::string ExportAppModel(model::OnnxModel backbone, const classify::Classifier& classifier,
                           const ExportOptions& options) {
  const nlohmann::ordered_json trained =
      classifier.description().value("model", nlohmann::ordered_json::object());
  const TrainingPreprocessing preprocessing =
      ParsePreprocessing(trained.value("preprocessing", ""));
  const std::string source_sha256 = backbone.sha256();
  backbone = PrepareBackbone(std::move(backbone), trained, preprocessing);
  const model::ImageInput input = backbone.input();
  const std::string features = backbone.OutputNames().at(0);
  const std::vector<int64_t> feature_shape =
      backbone.TensorShape(features).value_or(std::vector<int64_t>{});
  if (feature_shape.size() == 2 && feature_shape[1] > 0 &&
      feature_shape[1] != classifier.pca().d_in()) {
    throw UsageError("the classifier takes " + std::to_string(classifier.pca().d_in()) +
                     " features, but feature layer '" + features + "' of '" + backbone.source() +
                     "' gives another number");
  }

  const onnx::GraphProto& backbone_graph = backbone.proto().graph();
  // The backbone's model and graph fields (initializers, opsets) without its nodes and
  // interface, which are written anew around the backbone's nodes below.
  onnx::ModelProto proto = backbone.proto();
  onnx::GraphProto& emptied = *proto.mutable_graph();
  emptied.clear_node();
  emptied.clear_input();
  emptied.clear_output();
  emptied.clear_value_info();
  emptied.set_name("fruit_classifier");
  model::GraphBuilder b(std::move(proto));
  onnx::GraphProto& graph = *b.mutable_proto().mutable_graph();

  // The image in, and the pixels as floats in the backbone's layout.
  const bool uint8 = options.input == InputType::kUint8;
  model::graph::DescribeTensor(*graph.add_input(), "image",
                               uint8 ? onnx::TensorProto::UINT8 : onnx::TensorProto::FLOAT,
                               {-1, input.height, input.width, 3});
  const std::string pixels = uint8 ? b.Node("Cast", {"image"}, "fruits/pixels",
                                            {{"to", int64_t{onnx::TensorProto::FLOAT}}})
                                   : "image";
  // The normalisation runs on NCHW pixels where it can: after our Transpose for an NCHW
  // backbone, after the backbone's own first Transpose for a Keras export (tf2onnx), which keeps
  // that Transpose on the input as engines expect it. Otherwise on NHWC pixels.
  std::string x = pixels;
  std::string replaced = input.name;  // the tensor the normalised pixels stand for
  const onnx::NodeProto* keras_transpose = NhwcInputTranspose(backbone_graph, input.name);
  if (input.layout == model::Layout::kNchw) {
    x = b.Node("Transpose", {x}, "fruits/pixels_nchw",
               {{"perm", std::vector<int64_t>{0, 3, 1, 2}}});
  } else if (keras_transpose != nullptr) {
    onnx::NodeProto& transpose = *graph.add_node() = *keras_transpose;
    transpose.set_input(0, x);
    x = transpose.output(0);
    replaced = x;
  }
  const model::Layout normalised_layout = x == pixels ? model::Layout::kNhwc : model::Layout::kNchw;
  x = Normalize(b, x, preprocessing.normalization, normalised_layout);

  // The backbone, reading the normalised pixels where it read `replaced`.
  for (const onnx::ValueInfoProto& value : backbone_graph.input()) {
    if (value.name() != input.name) *graph.add_input() = value;  // initializer inputs (IR < 4)
  }
  for (const onnx::NodeProto& original : backbone_graph.node()) {
    if (&original == keras_transpose) continue;
    onnx::NodeProto& node = *graph.add_node() = original;
    for (std::string& name : *node.mutable_input()) {
      if (name == replaced) name = x;
    }
  }
  AppendHead(b, features, classifier);

  const int64_t c = classifier.num_labels();
  model::graph::DescribeTensor(*graph.add_output(), "probabilities", onnx::TensorProto::FLOAT,
                               {-1, c});
  model::graph::DescribeTensor(*graph.add_output(), "label_index", onnx::TensorProto::INT64, {-1});
  model::graph::DescribeTensor(*graph.add_output(), "labels", onnx::TensorProto::STRING, {c});

  onnx::ModelProto& model = b.mutable_proto();
  model.set_ir_version(std::max<int64_t>(model.ir_version(), kIrVersion));
  model.set_producer_name("fruits");
  model.set_producer_version(kVersion);
  model.set_doc_string(
      "Fruit classifier: RGB image resized as in the 'preprocessing' metadata -> probabilities, "
      "label_index, labels. Written by fruits export.");
  model.clear_metadata_props();
  const nlohmann::ordered_json labels_json = classifier.labels();
  b.Metadata(metadata::kLabels, labels_json.dump());
  const nlohmann::ordered_json preprocessing_json = {
      {"input", uint8 ? "uint8" : "float32"},
      {"layout", "NHWC"},
      {"channels", "RGB"},
      {"height", input.height},
      {"width", input.width},
      {"resize", image::ToString(preprocessing.filter)},
      {"resize_rule", ResizeRule(preprocessing.filter)},
      {"normalization", image::ToString(preprocessing.normalization)},
      {"normalization_rule",
       NormalizationRule(preprocessing.normalization) + " (inside the graph)"}};
  b.Metadata(metadata::kPreprocessing, preprocessing_json.dump());
  b.Metadata(metadata::kFruitsVersion, kVersion);
  b.Metadata(metadata::kSourceModelSha256, source_sha256);
  b.Metadata(metadata::kFeatureLayer, trained.value("feature_layer", ""));
  b.Metadata(metadata::kClassifierDigest, classifier.digest());
  if (options.accuracy) {
    b.Metadata(metadata::kEvaluationAccuracy, nlohmann::json(*options.accuracy).dump());
  }
  const nlohmann::ordered_json graph_json = {{"pixels", pixels},
                                             {"features", features},
                                             {"probabilities", "probabilities"},
                                             {"label_index", "label_index"},
                                             {"labels", "labels"}};
  b.Metadata(metadata::kGraph, graph_json.dump());

  try {
    onnx::checker::check_model(b.proto());
  } catch (const std::exception& e) {
    throw Error(std::string("internal error: the exported graph fails the ONNX checker: ") +
                e.what());
  }
  return b.Serialize();
}

ExportSummary ExportFiles(storage::ObjectStore& store, const ExportRequest& request) {
  const classify::Classifier classifier = classify::Classifier::Load(store, request.classifier);
  Evaluation evaluation;
  if (!request.evaluation.empty()) {
    const bool is_file = request.evaluation.ends_with(".json");
    evaluation = ReadEvaluation(
        store, is_file ? request.evaluation : storage::JoinUri(request.evaluation, "metrics.json"),
        classifier.digest(), true);
  } else {
    for (const std::string& candidate :
         {storage::JoinUri(request.classifier, "metrics.json"),
          storage::JoinUri(storage::JoinUri(Parent(request.classifier), "evaluation"),
                           "metrics.json")}) {
      if (evaluation.accuracy) break;
      evaluation = ReadEvaluation(store, candidate, classifier.digest(), false);
    }
  }
  const std::string bytes =
      ExportAppModel(model::OnnxModel::Read(store, request.model), classifier,
                     ExportOptions{.input = request.input, .accuracy = evaluation.accuracy});
  store.Write(request.output, bytes);
  return {static_cast<int64_t>(bytes.size()), classifier.num_labels(), evaluation.accuracy,
          evaluation.source};
}

}  // namespace fruits::app
