// The OpenCV backend against a plain C++ reference of the same small network, and its refusals.

#include "model/opencv/opencv_backend.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <thread>

#include "model/model_loader.h"
#include "model/tiny_models.h"
#include "util/error.h"

namespace fruits::model {
namespace {

LoadedModel Load(const TinyNetOptions& options,
                 ModelOptions model_options = {.backend = "opencv"}) {
  return LoadModel(OnnxModel::Parse(TinyNet(options), "tiny.onnx"), model_options);
}

TEST(OpenCvBackend, FeaturesEqualThePlainReference) {
  LoadedModel loaded = Load({});
  ASSERT_EQ(loaded.backend->name(), "opencv");
  EXPECT_EQ(loaded.backend->feature_dim(), 4);
  for (int64_t n : {1, 3, 32}) {
    Tensor images = TinyImages(n);
    Tensor features = loaded.backend->Run(images);
    EXPECT_EQ(features.shape(), (std::vector<int64_t>{n, 4}));
    ExpectFeaturesNear(features, TinyFeatures(images, false, 1e30f));
  }
}

TEST(OpenCvBackend, RunsEveryNormalisedFormLikeThePlainReference) {
  const TinyNetOptions forms[] = {{.nhwc = true},
                                  {.clip_with_inputs = true},
                                  {.identity_and_dropout = true},
                                  {.constant_node = true},
                                  {.clip_with_inputs = true, .opset = 11}};
  for (const TinyNetOptions& form : forms) {
    LoadedModel loaded = Load(form);
    Tensor images = TinyImages(5, form.nhwc);
    ExpectFeaturesNear(loaded.backend->Run(images),
                       TinyFeatures(images, form.nhwc, form.clip_with_inputs ? 0.75f : 1e30f));
  }
}

TEST(OpenCvBackend, MaxBatchAndConcurrentCallersGetTheirOwnResults) {
  LoadedModel loaded =
      Load({}, {.backend = "opencv", .backend_options = {.threads = 1, .concurrent_runs = 2}});
  Tensor big = TinyImages(loaded.backend->max_batch());
  ExpectFeaturesNear(loaded.backend->Run(big), TinyFeatures(big, false, 1e30f));
  Tensor a = TinyImages(7), b = TinyImages(9);
  Tensor features_a, features_b;
  std::thread ta([&] {
    for (int i = 0; i < 20; ++i) features_a = loaded.backend->Run(a);
  });
  std::thread tb([&] {
    for (int i = 0; i < 20; ++i) features_b = loaded.backend->Run(b);
  });
  ta.join();
  tb.join();
  ExpectFeaturesNear(features_a, TinyFeatures(a, false, 1e30f));
  ExpectFeaturesNear(features_b, TinyFeatures(b, false, 1e30f));
}

TEST(OpenCvBackend, RefusesAnUnsupportedOperatorNamingItAndItsNode) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Node("GlobalAveragePool", {"x"}, "pooled");
  b.Node("Flatten", {"pooled"}, "flat");
  b.Node("Einsum", {"flat", "flat"}, "mystery", {});
  b.Output("mystery", {-1, 3});
  onnx::ModelProto proto;
  proto.ParseFromString(b.Serialize());
  auto& equation = *proto.mutable_graph()->mutable_node(2)->add_attribute();
  equation.set_name("equation");
  equation.set_type(onnx::AttributeProto::STRING);
  equation.set_s("ij,ij->ij");
  OnnxModel model = OnnxModel::Parse(proto.SerializeAsString(), "einsum.onnx");
  EXPECT_EQ(OpenCvBackend::Refusal(model),
            "operator Einsum (node 'mystery') is not supported by OpenCV 4.6");
  EXPECT_EQ(OpenCvBackendEntry().prepare(model)->Refusal(), OpenCvBackend::Refusal(model));
  try {
    LoadModel(std::move(model), {.feature_layer = "mystery", .backend = "opencv"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "model 'einsum.onnx' cannot run on the opencv backend: operator Einsum (node "
                 "'mystery') is not supported by OpenCV 4.6");
  }
}

TEST(OpenCvBackend, OtherDomainsAreRefused) {
  onnx::ModelProto proto;
  proto.ParseFromString(TinyNet());
  proto.mutable_graph()->mutable_node(1)->set_domain("com.microsoft");
  auto* opset = proto.add_opset_import();
  opset->set_domain("com.microsoft");
  opset->set_version(1);
  OnnxModel model = OnnxModel::Parse(proto.SerializeAsString(), "ms.onnx");
  EXPECT_EQ(OpenCvBackend::Refusal(model),
            "operator com.microsoft:Relu (node 'act') is not supported by OpenCV 4.6");
}

}  // namespace
}  // namespace fruits::model

namespace fruits::model {
namespace {

// Squeeze-and-excitation: features[c] = mean(x_c) * sigmoid(mean(x_c)), at batch 4.
TEST(OpenCvBackend, RunsASqueezeExcitationBlockAtAnyBatchSize) {
  GraphBuilder b(13);
  b.Input("x", {-1, 2, 3, 3});
  b.Node("GlobalAveragePool", {"x"}, "squeezed");
  b.Node("Sigmoid", {"squeezed"}, "gate");
  b.Node("Mul", {"gate", "x"}, "excited");
  b.Node("GlobalAveragePool", {"excited"}, "pooled");
  b.Node("Flatten", {"pooled"}, "features");
  b.Output("features", {-1, 2});
  LoadedModel loaded = LoadModel(OnnxModel::Parse(b.Serialize(), "se.onnx"), {.backend = "opencv"});
  EXPECT_EQ(loaded.rewrites,
            std::vector<std::string>{"per-channel scales resized to their feature map: 1"});
  Tensor images({4, 2, 3, 3});
  for (size_t i = 0; i < images.size(); ++i) images.data()[i] = std::sin(0.7f * i);
  Tensor features = loaded.backend->Run(images);
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t c = 0; c < 2; ++c) {
      double mean = 0;
      for (int k = 0; k < 9; ++k) mean += images.data()[(i * 2 + c) * 9 + k] / 9.0;
      EXPECT_NEAR(features.row(i)[c], mean / (1 + std::exp(-mean)), 1e-6) << i << "," << c;
    }
  }
}

// PyTorch's x.view(x.size(0), -1) before opset 11 becomes Flatten: right at batch 4.
TEST(OpenCvBackend, RunsABatchViewAtAnyBatchSize) {
  LoadedModel loaded =
      LoadModel(OnnxModel::Parse(BatchViewNet(3, 2, 2), "view.onnx"), {.backend = "opencv"});
  // The shared preparation folds the view's shape arithmetic (Reshape [0, -1]) before OpenCV's
  // normaliser sees it.
  EXPECT_EQ(loaded.rewrites,
            std::vector<std::string>{"4 shape arithmetic nodes folded into initializers"});
  Tensor images({4, 3, 2, 2});
  for (size_t i = 0; i < images.size(); ++i) images.data()[i] = std::cos(1.3f * i);
  Tensor features = loaded.backend->Run(images);
  ASSERT_EQ(features.shape(), (std::vector<int64_t>{4, 12}));
  for (size_t i = 0; i < images.size(); ++i) {
    EXPECT_EQ(features.data()[i], std::max(0.0f, images.data()[i])) << i;
  }
}

TEST(OpenCvBackend, RefusesWhatItsImporterWouldGetWrong) {
  GraphBuilder clip(13);
  clip.Input("x", {-1, 3, 4, 4});
  clip.Node("ReduceMax", {"x"}, "top", {{"keepdims", int64_t{0}}});
  clip.Node("Clip", {"x", "", "top"}, "clipped");
  clip.Node("GlobalAveragePool", {"clipped"}, "pooled");
  clip.Node("Flatten", {"pooled"}, "features");
  clip.Output("features", {-1, 3});
  EXPECT_EQ(OpenCvBackend::Refusal(OnnxModel::Parse(clip.Serialize(), "clip.onnx")),
            "Clip (node 'clipped') takes its input 'top' from the graph; OpenCV 4.6 needs a "
            "constant there");

  GraphBuilder spatial(13);
  spatial.Input("x", {-1, 3, 4, 4});
  spatial.Node("ReduceMean", {"x"}, "attention", {{"axes", std::vector<int64_t>{1}}});
  spatial.Node("Mul", {"x", "attention"}, "weighted");
  spatial.Node("GlobalAveragePool", {"weighted"}, "pooled");
  spatial.Node("Flatten", {"pooled"}, "features");
  spatial.Output("features", {-1, 3});
  EXPECT_EQ(OpenCvBackend::Refusal(OnnxModel::Parse(spatial.Serialize(), "spatial.onnx")),
            "Mul (node 'weighted') broadcasts [?, 3, 4, 4] against [?, 1, 4, 4]; OpenCV 4.6 "
            "cannot broadcast two computed tensors");

  // Found by fuzz/onnx_fuzzer running the models: OpenCV divided by an empty weight's size.
  GraphBuilder empty(13);
  empty.Input("x", {-1, 3, 4, 4});
  empty.Initializer("w", {2, 0, 1, 1}, {});
  empty.Node("Conv", {"x", "w"}, "conv");
  empty.Node("GlobalAveragePool", {"conv"}, "pooled");
  empty.Node("Flatten", {"pooled"}, "features");
  empty.Output("features", {-1, 2});
  EXPECT_EQ(OpenCvBackend::Refusal(OnnxModel::Parse(empty.Serialize(), "empty.onnx")),
            "Conv (node 'conv') takes the empty tensor 'w' as its input 1: the model is malformed");
}

}  // namespace
}  // namespace fruits::model
