// `fruits model init` and `fruits model inspect` as users run them, refusals included.

#include <gtest/gtest.h>

#include <fstream>

#include "model/graph_builder.h"
#include "support/fruits_cli.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fruits {
namespace {

using testing::ExpectContains;
using testing::Fruits;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class ModelCli : public ::testing::Test {
 protected:
  // One small built-in model for the suite: the architecture is the same at any input size.
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    auto r = Fruits("model init --seed 1 --image-size 96 -o " + ShellQuote(Model()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ExpectContains(r.out, "for tests and demos only");
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Model() { return dir_->File("demo.onnx"); }
  static TempDir* dir_;
};
TempDir* ModelCli::dir_ = nullptr;

TEST_F(ModelCli, InitHelpSaysTheWeightsAreForTestsAndDemosOnly) {
  auto r = Fruits("model init --help");
  EXPECT_EQ(r.exit_code, 0);
  ExpectContains(r.out, "FOR TESTS AND DEMOS ONLY");
  ExpectContains(r.out, "--seed");
}

TEST_F(ModelCli, InspectShowsInputOperatorsFeatureLayerAndBackend) {
  auto r = Fruits("model inspect " + ShellQuote(Model()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* expected :
       {"opset 13", "tests and demos only", "input          'input' NCHW [?, 3, 96, 96]",
        "output         'logits' [?, 1000]",
        "operators      Add, BatchNormalization, Clip, Conv, Flatten, Gemm, GlobalAveragePool",
        "feature layer  'features' (1280 floats per image): input of the final classifier Gemm "
        "'logits'",
        "backend        xnnpack: runs it",
        "BatchNormalization folded into the Conv before it: 52"}) {
    ExpectContains(r.out, expected);
  }
  auto opencv = Fruits("model inspect --backend opencv " + ShellQuote(Model()));
  ASSERT_EQ(opencv.exit_code, 0) << opencv.err;
  ExpectContains(opencv.out, "backend        opencv: runs it");
  ExpectContains(opencv.out, "Clip bounds turned from inputs into attributes: 35");
}

TEST_F(ModelCli, InspectWithAPooledFeatureLayer) {
  auto r = Fruits("model inspect " + ShellQuote(Model()) + " --feature-layer pooled");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out,
                 "feature layer  'pooled' (1280 floats per image): named by --feature-layer");
}

TEST_F(ModelCli, AWrongFeatureLayerIsAUsageError) {
  auto r = Fruits("model inspect " + ShellQuote(Model()) + " --feature-layer fc7");
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "--feature-layer 'fc7' is not a tensor of model");
  ExpectContains(r.err, "'pooled' (GlobalAveragePool)");
}

TEST_F(ModelCli, AFeatureMapIsRefused) {
  auto r = Fruits("model inspect " + ShellQuote(Model()) + " --feature-layer features.18.0.out");
  EXPECT_EQ(r.exit_code, 1);
  ExpectContains(r.err, "has shape [?, 1280, 3, 3]: that is not one vector per image");
}

TEST_F(ModelCli, MissingAndCorruptFilesSayWhatIsWrong) {
  auto missing = Fruits("model inspect " + ShellQuote(dir_->File("absent.onnx")));
  EXPECT_EQ(missing.exit_code, 2);
  ExpectContains(missing.err, "absent.onnx' does not exist");

  std::string corrupt = dir_->File("corrupt.onnx");
  WriteFile(corrupt, "this is not a model");
  auto r = Fruits("model inspect " + ShellQuote(corrupt));
  EXPECT_EQ(r.exit_code, 1);
  ExpectContains(r.err, "corrupt.onnx' is not an ONNX model");

  std::ifstream in(Model(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string truncated = dir_->File("truncated.onnx");
  WriteFile(truncated, bytes.substr(0, bytes.size() / 3));
  r = Fruits("model inspect " + ShellQuote(truncated));
  EXPECT_EQ(r.exit_code, 1);
  ExpectContains(r.err, "truncated.onnx");
}

TEST_F(ModelCli, AnUnsupportedOperatorIsRefusedNamingItAndItsNode) {
  model::GraphBuilder b(13);
  b.Input("x", {-1, 3, 8, 8});
  b.Node("GlobalAveragePool", {"x"}, "pooled");
  b.Node("Flatten", {"pooled"}, "flat");
  b.Node("Hardmax", {"flat"}, "winner");
  b.Output("winner", {-1, 3});
  std::string path = dir_->File("hardmax.onnx");
  WriteFile(path, b.Serialize());
  auto r = Fruits("model inspect " + ShellQuote(path));
  EXPECT_EQ(r.exit_code, 1);
  ExpectContains(r.out, "operators      Flatten, GlobalAveragePool, Hardmax");
  ExpectContains(r.err, "runs on no backend of this build of fruits (");
  ExpectContains(r.err, "opencv: operator Hardmax (node 'winner') is not supported by OpenCV 4.6");
}

// What fruits can feed: RGB and grey images; a 4-channel model is refused, not said to run.
TEST_F(ModelCli, InspectRunsGreyModelsAndRefusesOtherChannelCounts) {
  for (int64_t channels : {1, 4}) {
    model::GraphBuilder b(13);
    b.Input("x", {-1, channels, 8, 8});
    b.Node("GlobalAveragePool", {"x"}, "pooled");
    b.Node("Flatten", {"pooled"}, "features");
    b.Output("features", {-1, channels});
    std::string path = dir_->File("channels" + std::to_string(channels) + ".onnx");
    WriteFile(path, b.Serialize());
    auto r = Fruits("model inspect " + ShellQuote(path));
    if (channels == 1) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
      ExpectContains(r.out, "input          'x' NCHW [?, 1, 8, 8]");
      ExpectContains(r.out, ": runs it");
    } else {
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_EQ(r.out.find("runs it"), std::string::npos) << r.out;
      ExpectContains(r.err,
                     "expects images of 4 channels (input 'x' NCHW [?, 4, 8, 8]); fruits feeds "
                     "RGB (3 channels) or grey (1 channel) images only");
    }
  }
}

TEST_F(ModelCli, BackendHelpListsThisBuildsBackends) {
  auto r = Fruits("model inspect --help");
  EXPECT_EQ(r.exit_code, 0);
  ExpectContains(r.out, "auto: the first of xnnpack, opencv that runs the model");
}

}  // namespace
}  // namespace fruits
