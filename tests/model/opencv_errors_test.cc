// OpenCV's raw errors wrapped in fruits' message: the node that failed, the model, what to do,
// and OpenCV's text last.

#include <gtest/gtest.h>

#include "model/graph_builder.h"
#include "model/model_loader.h"
#include "support/text_assertions.h"
#include "util/error.h"

namespace fruits::model {
namespace {

using fruits::testing::Contains;
using fruits::testing::MessageOf;

// A Conv without kernel_shape: valid ONNX (the weights give the kernel), but OpenCV 4.6's
// importer wants the attribute and throws while importing node 'y'.
TEST(OpenCvErrors, ImportErrorsNameTheNodeTheModelAndWhatToDo) {
  GraphBuilder b(13);
  b.Input("x", {1, 3, 4, 4});
  b.Initializer("w", {2, 3, 1, 1}, std::vector<float>(6, 0.5f));
  b.Node("Conv", {"x", "w"}, "y");
  b.Node("GlobalAveragePool", {"y"}, "pooled");
  b.Output("pooled", {1, 2, 1, 1});
  const std::string message = MessageOf(
      [&] { LoadModel(OnnxModel::Parse(b.Serialize(), "no_kernel.onnx"), {.backend = "opencv"}); });
  EXPECT_TRUE(Contains(message, "OpenCV cannot import model 'no_kernel.onnx' at node 'y' (Conv)"));
  EXPECT_TRUE(Contains(message, "Try --backend xnnpack, or report the model's operator"));
  EXPECT_TRUE(Contains(message, "(OpenCV said: OpenCV(4.6.0)"));
  EXPECT_TRUE(Contains(message, "kernel_size"));
}

}  // namespace
}  // namespace fruits::model
