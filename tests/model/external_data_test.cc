// External data (OnnxModel::Read through InlineExternalData): weights in a file beside the model
// are read in, at their offset; a location outside the model's folder, a missing file and bytes
// parsed without their data are refused with messages that say what to do.

#include "model/external_data.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <fstream>

#include "model/graph_builder.h"
#include "model/graph_edit.h"
#include "model/onnx_model.h"
#include "storage/local_store.h"
#include "support/temp_dir.h"
#include "support/text_assertions.h"
#include "util/error.h"

namespace fruits::model {
namespace {

const std::vector<float> kWeights = {1, 2, 3, 4, 5, 6, 7, 8, 9};

// A 1x1 Conv whose weights `w` are kept in `location` at byte 16 (after 16 other bytes), as
// onnx.save_model(..., save_as_external_data=True) writes them; the model is `dir`/model.onnx.
std::string SaveWithExternalWeights(const fruits::testing::TempDir& dir,
                                    const std::string& location) {
  GraphBuilder b(13);
  b.Input("x", {1, 3, 2, 2});
  b.Initializer("w", {3, 3, 1, 1}, kWeights);
  b.Node("Conv", {"x", "w"}, "y");
  b.Node("GlobalAveragePool", {"y"}, "pooled");
  b.Output("pooled", {1, 3, 1, 1});
  onnx::TensorProto& w = *b.mutable_proto().mutable_graph()->mutable_initializer(0);
  std::string data = std::string(16, 'x') + w.raw_data();
  if (w.raw_data().empty()) {
    data = std::string(16, 'x');
    for (float v : w.float_data()) data.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  std::ofstream(dir.File("weights.bin"), std::ios::binary) << data;
  w.clear_raw_data();
  w.clear_float_data();
  w.set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"location", location}, {"offset", "16"}, {"length", "36"}}) {
    auto& entry = *w.add_external_data();
    entry.set_key(key);
    entry.set_value(value);
  }
  const std::string path = dir.File("model.onnx");
  std::ofstream(path, std::ios::binary) << b.Serialize();
  return path;
}

TEST(ExternalData, WeightsBesideTheModelAreReadIn) {
  fruits::testing::TempDir dir;
  storage::LocalStore store;
  OnnxModel model = OnnxModel::Read(store, SaveWithExternalWeights(dir, "weights.bin"));
  const onnx::TensorProto* w = graph::FindInitializer(model.proto().graph(), "w");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->data_location(), onnx::TensorProto::EXTERNAL);
  const std::vector<double> values = graph::TensorValues(*w);
  EXPECT_EQ(values, std::vector<double>(kWeights.begin(), kWeights.end()));
}

TEST(ExternalData, RefusesWhatCannotBeRead) {
  fruits::testing::TempDir dir;
  storage::LocalStore store;
  using fruits::testing::Contains;
  using fruits::testing::MessageOf;
  EXPECT_TRUE(Contains(
      MessageOf([&] { OnnxModel::Read(store, SaveWithExternalWeights(dir, "../weights.bin")); }),
      "not a path inside the model's folder"));
  EXPECT_TRUE(Contains(
      MessageOf([&] { OnnxModel::Read(store, SaveWithExternalWeights(dir, "other.bin")); }),
      "keeps tensor 'w' in external data file 'other.bin', which cannot be read"));
  const std::string path = SaveWithExternalWeights(dir, "weights.bin");
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(Contains(MessageOf([&] { OnnxModel::Parse(bytes, "bytes.onnx"); }),
                       "keeps tensor 'w' in 'weights.bin', a file beside it that was not read in"));
}

// A model without external data is returned as it was read, byte for byte.
TEST(ExternalData, ModelsWithoutExternalDataAreUntouched) {
  GraphBuilder b(13);
  b.Input("x", {1, 3, 2, 2});
  b.Node("GlobalAveragePool", {"x"}, "pooled");
  b.Output("pooled", {1, 3, 1, 1});
  fruits::testing::TempDir dir;
  storage::LocalStore store;
  EXPECT_EQ(InlineExternalData(b.Serialize(), store, dir.File("m.onnx")), b.Serialize());
}

}  // namespace
}  // namespace fruits::model
