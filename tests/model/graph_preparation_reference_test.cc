// Prepared torch exports give torch's numbers (/usr/bin/python3, tests/references/
// prepared_graph_models.py): ShuffleNetV2 (shape arithmetic, Constant nodes, Identity copies),
// SqueezeNet 1.1 (ceil_mode pools, weights in an external data file) and a small net of
// pad-counting, ceil-mode pools and x.view(x.size(0), -1), each at batch 1 and 3 on the backend
// `auto` chooses, within 1e-4 of the largest magnitude.

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>

#include "model/graph_edit.h"
#include "model/model_loader.h"
#include "prepared_graphs.h"
#include "storage/local_store.h"
#include "support/float_file.h"
#include "support/python_reference.h"
#include "support/temp_dir.h"

namespace fruits::model {
namespace {

class PreparedTorchModels : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fruits::testing::TempDir();
    const auto result = fruits::testing::RunPythonReference(
        "prepared_graph_models.py", fruits::testing::ShellQuote(dir_->path().string()));
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  // Loads case `name` and checks its features against torch's at batch 1 and 3; returns the
  // prepared graph.
  static OnnxModel ExpectTorchFeatures(const std::string& name) {
    storage::LocalStore store;
    LoadedModel loaded = LoadModel(OnnxModel::Read(store, dir_->File(name + ".onnx")), {});
    const std::vector<float> input = fruits::testing::ReadFloats(dir_->File(name + ".input.f32"));
    const std::vector<float> expected =
        fruits::testing::ReadFloats(dir_->File(name + ".expected.f32"));
    const int64_t dim = static_cast<int64_t>(expected.size()) / 3;
    EXPECT_EQ(loaded.backend->feature_dim(), dim);
    float largest = 0;
    for (float v : expected) largest = std::max(largest, std::abs(v));
    for (int64_t batch : {1, 3}) {
      SCOPED_TRACE("batch " + std::to_string(batch) + " on " + std::string(loaded.backend->name()));
      const Tensor features = loaded.backend->Run(InLayout(input, batch, loaded.backend->input()));
      EXPECT_EQ(features.shape(), (std::vector<int64_t>{batch, dim}));
      if (features.size() != static_cast<size_t>(batch * dim)) continue;
      float difference = 0;
      for (int64_t i = 0; i < batch * dim; ++i) {
        difference = std::max(difference, std::abs(features.data()[i] - expected[i]));
      }
      EXPECT_LE(difference, 1e-4 * largest) << "largest magnitude " << largest;
    }
    return std::move(loaded.graph);
  }

  // The first `batch` NCHW images of `nchw` in the layout the backend takes.
  static Tensor InLayout(const std::vector<float>& nchw, int64_t batch, const ImageInput& input) {
    Tensor images(input.BatchShape(batch));
    const int64_t c = input.channels, h = input.height, w = input.width;
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t k = 0; k < c; ++k) {
        for (int64_t p = 0; p < h * w; ++p) {
          const float value = nchw[(n * c + k) * h * w + p];
          images.data()[input.layout == Layout::kNhwc ? (n * h * w + p) * c + k
                                                      : (n * c + k) * h * w + p] = value;
        }
      }
    }
    return images;
  }

  static int Count(const OnnxModel& model, const std::string& op) {
    const std::vector<std::string> ops = testing::OpTypes(model);
    return static_cast<int>(std::count(ops.begin(), ops.end(), op));
  }

  static fruits::testing::TempDir* dir_;
};

fruits::testing::TempDir* PreparedTorchModels::dir_ = nullptr;

TEST_F(PreparedTorchModels, ShuffleNetV2KeepsNoShapeArithmetic) {
  const OnnxModel prepared = ExpectTorchFeatures("shufflenet");
  for (const char* op : {"Shape", "Gather", "Constant", "Identity", "Unsqueeze"}) {
    EXPECT_EQ(Count(prepared, op), 0) << op;
  }
  EXPECT_EQ(Count(prepared, "Reshape"), 2 * Count(prepared, "Transpose"));
}

TEST_F(PreparedTorchModels, SqueezeNetWithExternalWeightsKeepsNoCeilMode) {
  const OnnxModel prepared = ExpectTorchFeatures("squeezenet");
  EXPECT_EQ(Count(prepared, "MaxPool"), 3);
  for (const auto& node : prepared.proto().graph().node()) {
    EXPECT_EQ(graph::Int(node, "ceil_mode", 0), 0) << node.name();
  }
}

TEST_F(PreparedTorchModels, PoolsCountingPadsAndCeilModeAndAView) {
  const OnnxModel prepared = ExpectTorchFeatures("pools");
  EXPECT_EQ(testing::OpTypes(prepared),
            (std::vector<std::string>{"Conv", "Pad", "AveragePool", "MaxPool", "Reshape"}));
  for (const auto& node : prepared.proto().graph().node()) {
    EXPECT_EQ(graph::Int(node, "ceil_mode", 0), 0) << node.name();
  }
}

}  // namespace
}  // namespace fruits::model
