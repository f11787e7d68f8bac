// LoadModel and the backend registry: the order backends are tried in, the fallback and its
// reason, the messages for bad choices, and the image inputs fruits can and cannot feed.

#include "model/model_loader.h"

#include <gtest/gtest.h>

#include "model/backend_registry.h"
#include "model/tiny_models.h"
#include "util/error.h"

namespace fruits::model {
namespace {

std::string ErrorOf(const std::string& bytes, const ModelOptions& options) {
  try {
    LoadModel(OnnxModel::Parse(bytes, "m.onnx"), options);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

#ifdef FRUITS_WITH_XNNPACK
TEST(BackendRegistry, ListsXnnpackThenOpenCv) {
  EXPECT_EQ(BackendNames(), (std::vector<std::string>{"auto", "xnnpack", "opencv"}));
  ASSERT_EQ(RegisteredBackends().size(), 2u);
  EXPECT_EQ(RegisteredBackends()[0].name, "xnnpack");
  EXPECT_EQ(RegisteredBackends()[1].name, "opencv");
  EXPECT_EQ(FindBackend("opencv"), &RegisteredBackends()[1]);
  EXPECT_EQ(FindBackend("tpu"), nullptr);
}

TEST(ModelLoader, AutoFallsBackToTheNextBackendSayingWhatForcedIt) {
  ::testing::internal::CaptureStderr();
  LoadedModel loaded = LoadModel(OnnxModel::Parse(LrnNet(), "test.onnx"), {});
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(loaded.backend->name(), "opencv");
  EXPECT_NE(log.find("backend opencv: xnnpack cannot run model 'test.onnx': operator LRN "
                     "(node 'joined') is not supported by the XNNPACK backend"),
            std::string::npos)
      << log;
  EXPECT_EQ(loaded.backend->Run(Tensor({2, 3, 4, 4})).shape(), (std::vector<int64_t>{2, 3}));
}

TEST(ModelLoader, AForcedBackendThatRefusesSaysWhy) {
  EXPECT_EQ(ErrorOf(LrnNet(), {.backend = "xnnpack"}),
            "model 'm.onnx' cannot run on the xnnpack backend: operator LRN (node 'joined') "
            "is not supported by the XNNPACK backend");
}
#endif

TEST(BackendRegistry, EveryBackendBoundsItsBatch) {
  int64_t largest = 0;
  for (const BackendEntry& entry : RegisteredBackends()) {
    EXPECT_GT(entry.max_batch, 0) << entry.name;
    largest = std::max(largest, entry.max_batch);
    LoadedModel loaded =
        LoadModel(OnnxModel::Parse(TinyNet(), "tiny.onnx"), {.backend = std::string(entry.name)});
    EXPECT_EQ(loaded.backend->max_batch(), entry.max_batch) << entry.name;
  }
  EXPECT_EQ(LargestMaxBatch(), largest);
}

TEST(ModelLoader, AnUnknownBackendIsAUsageErrorListingThisBuildsBackends) {
  std::string names;
  for (const std::string& name : BackendNames()) names += (names.empty() ? "" : ", ") + name;
  try {
    LoadModel(OnnxModel::Parse(TinyNet(), "tiny.onnx"), {.backend = "tpu"});
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown backend 'tpu': this build of fruits has " + names);
  }
}

TEST(ModelLoader, BackendsChooseWhatTheCallerLeavesOpen) {
  for (const BackendEntry& entry : RegisteredBackends()) {
    auto load = [&](BackendOptions options) {
      return LoadModel(OnnxModel::Parse(TinyNet(), "tiny.onnx"),
                       {.backend = std::string(entry.name), .backend_options = options});
    };
    EXPECT_EQ(load({.cores = 3}).backend->concurrent_runs(), 3) << entry.name;
    EXPECT_EQ(load({.threads = 1, .concurrent_runs = 2}).backend->concurrent_runs(), 2)
        << entry.name;
  }
}

TEST(BackendOptions, OneRunPerCoreFillsOnlyWhatIsOpen) {
  auto split = [](BackendOptions o) {
    BackendOptions r = OneRunPerCore(o);
    return std::vector<int>{r.threads, r.concurrent_runs, r.cores};
  };
  EXPECT_EQ(split({.cores = 4}), (std::vector<int>{1, 4, 4}));
  EXPECT_EQ(split({.threads = 2, .cores = 4}), (std::vector<int>{2, 2, 4}));
  EXPECT_EQ(split({.concurrent_runs = 3, .cores = 6}), (std::vector<int>{2, 3, 6}));
  EXPECT_EQ(split({.threads = 8, .cores = 4}), (std::vector<int>{8, 1, 4}));
  EXPECT_GE(split({})[1], 1);
}

TEST(ModelLoader, AnOpenInputSizeIsRefused) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, -1, -1});
  b.Node("GlobalAveragePool", {"x"}, "pooled");
  b.Node("Flatten", {"pooled"}, "flat");
  b.Output("flat", {-1, 3});
  try {
    LoadModel(OnnxModel::Parse(b.Serialize(), "open.onnx"), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("leaves its input size open (NCHW [?, 3, ?, ?]): give "
                                         "the image size with --input-size"),
              std::string::npos)
        << e.what();
  }
  LoadedModel sized = LoadModel(OnnxModel::Parse(b.Serialize(), "open.onnx"),
                                {.input_height = 5, .input_width = 7, .backend = "opencv"});
  EXPECT_EQ(sized.backend->input().ToString(), "NCHW [?, 3, 5, 7]");
  EXPECT_EQ(sized.backend->feature_dim(), 3);
}

TEST(ModelLoader, AnInputSizeForAFixedSizeModelIsAUsageError) {
  EXPECT_THROW(
      LoadModel(OnnxModel::Parse(TinyNet(), "tiny.onnx"), {.input_height = 5, .input_width = 5}),
      UsageError);
}

// A grey model: every backend takes [N, 1, 6, 6] (NHWC [N, 6, 6, 1] is the same memory).
TEST(ModelLoader, AGreyModelRunsOnEveryBackend) {
  Tensor grey({5, 1, kTinySize, kTinySize});
  for (size_t i = 0; i < grey.size(); ++i) grey.data()[i] = std::sin(0.37f * i) + 0.2f;
  const std::vector<float> expected = ChannelsFeatures(grey, 1);
  for (const BackendEntry& entry : RegisteredBackends()) {
    SCOPED_TRACE(entry.name);
    LoadedModel loaded = LoadModel(OnnxModel::Parse(ChannelsNet(1), "grey.onnx"),
                                   {.backend = std::string(entry.name)});
    EXPECT_EQ(loaded.backend->input().channels, 1);
    Tensor batch(loaded.backend->input().BatchShape(5));
    ASSERT_EQ(batch.size(), grey.size());
    std::copy(grey.data(), grey.data() + grey.size(), batch.data());
    ExpectFeaturesNear(loaded.backend->Run(batch), expected);
  }
}

TEST(ModelLoader, ModelsOfOtherChannelCountsAreRefusedSayingWhatFruitsFeeds) {
  EXPECT_EQ(ErrorOf(ChannelsNet(4), {}),
            "model 'm.onnx' expects images of 4 channels (input 'image' NCHW [?, 4, 6, 6]); "
            "fruits feeds RGB (3 channels) or grey (1 channel) images only");
  EXPECT_NE(ErrorOf(ChannelsNet(2), {.backend = "opencv"}).find("expects images of 2 channels"),
            std::string::npos);
  // An open channel count is not a size --input-size can give.
  GraphBuilder open(13);
  open.Input("image", {-1, -1, kTinySize, kTinySize});
  open.Node("GlobalAveragePool", {"image"}, "pool");
  open.Node("Flatten", {"pool"}, "features");
  open.Output("features", {-1, -1});
  EXPECT_EQ(ErrorOf(open.Serialize(), {}),
            "model 'm.onnx' expects images of an open number of channels (input 'image' NCHW "
            "[?, ?, 6, 6]); fruits feeds RGB (3 channels) or grey (1 channel) images only");
}

}  // namespace
}  // namespace fruits::model
