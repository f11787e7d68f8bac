// OnnxModel: what it reads from a graph, and the clear refusals of what it cannot read.

#include "model/onnx_model.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "model/tiny_models.h"
#include "storage/local_store.h"
#include "support/temp_dir.h"
#include "util/error.h"
#include "util/sha256.h"

namespace fruits::model {
namespace {

std::string ErrorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OnnxModel, DescribesInputLayoutOperatorsAndShapes) {
  OnnxModel model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  EXPECT_EQ(model.input().name, "image");
  EXPECT_EQ(model.input().layout, Layout::kNchw);
  EXPECT_EQ(model.input().ToString(), "NCHW [?, 3, 6, 6]");
  EXPECT_EQ(model.opset(), 13);
  EXPECT_EQ(model.OperatorTypes(),
            (std::vector<std::string>{"Conv", "Flatten", "Gemm", "GlobalAveragePool", "Relu",
                                      "Softmax"}));
  EXPECT_EQ(model.OutputNames(), std::vector<std::string>{"probabilities"});
  EXPECT_EQ(model.TensorShape("conv"), (std::vector<int64_t>{-1, 4, 6, 6}));
  EXPECT_EQ(model.TensorShape("features"), (std::vector<int64_t>{-1, 4}));
  EXPECT_EQ(model.TensorShape("no such tensor"), std::nullopt);
}

TEST(OnnxModel, NhwcInputBehindATransposeIsNhwc) {
  OnnxModel model = OnnxModel::Parse(TinyNet({.nhwc = true}), "tiny.onnx");
  EXPECT_EQ(model.input().layout, Layout::kNhwc);
  EXPECT_EQ(model.input().channels, 3);
  EXPECT_EQ(model.input().height, kTinySize);
  EXPECT_EQ(model.input().BatchShape(2), (std::vector<int64_t>{2, kTinySize, kTinySize, 3}));
}

TEST(OnnxModel, RefusesBytesThatAreNotAModel) {
  EXPECT_NE(ErrorOf([] { OnnxModel::Parse("", "empty.onnx"); }).find("'empty.onnx' is not an ONNX"),
            std::string::npos);
  std::string bytes = TinyNet();
  std::string truncated =
      ErrorOf([&] { OnnxModel::Parse(bytes.substr(0, bytes.size() / 2), "t"); });
  EXPECT_NE(truncated.find("not an ONNX model"), std::string::npos) << truncated;
  std::string garbage = ErrorOf([] { OnnxModel::Parse("\x08\x07garbage\xff\xff", "g.onnx"); });
  EXPECT_NE(garbage.find("g.onnx"), std::string::npos) << garbage;
}

TEST(OnnxModel, RefusesAModelTheCheckerRejects) {
  onnx::ModelProto proto;
  proto.ParseFromString(TinyNet());
  proto.mutable_graph()->mutable_node(0)->set_input(1, "missing.weight");
  std::string message = ErrorOf([&] { OnnxModel::Parse(proto.SerializeAsString(), "bad.onnx"); });
  EXPECT_NE(message.find("model 'bad.onnx' fails the ONNX checker"), std::string::npos) << message;
  EXPECT_NE(message.find("missing.weight"), std::string::npos) << message;
}

TEST(OnnxModel, RefusesModelsWithoutOneImageInput) {
  GraphBuilder two(13);
  two.Input("a", {-1, 3, 4, 4});
  two.Input("b", {-1, 3, 4, 4});
  two.Node("Add", {"a", "b"}, "sum");
  two.Output("sum", {-1, 3, 4, 4});
  std::string message = ErrorOf([&] { OnnxModel::Parse(two.Serialize(), "two.onnx"); });
  EXPECT_NE(message.find("has 2 inputs ('a', 'b')"), std::string::npos) << message;

  GraphBuilder flat(13);
  flat.Input("x", {-1, 10});
  flat.Node("Relu", {"x"}, "y");
  flat.Output("y", {-1, 10});
  message = ErrorOf([&] { OnnxModel::Parse(flat.Serialize(), "flat.onnx"); });
  EXPECT_NE(message.find("input 'x' is [?, 10], not a 4-D float image batch"), std::string::npos)
      << message;
}

TEST(OnnxModel, ReadsThroughTheObjectStoreAndSaysWhatToDoWhenMissing) {
  testing::TempDir dir;
  storage::LocalStore store;
  auto file = store.NewWritableFile(dir.File("tiny.onnx"));
  file->Append(TinyNet());
  file->Commit();
  EXPECT_EQ(OnnxModel::Read(store, dir.File("tiny.onnx")).input().name, "image");
  try {
    OnnxModel::Read(store, dir.File("absent.onnx"));
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("fruits model init"), std::string::npos) << e.what();
  }
}

TEST(OnnxModel, SerializeRoundTrips) {
  OnnxModel model = OnnxModel::Parse(TinyNet(), "tiny.onnx");
  OnnxModel again = OnnxModel::Parse(model.Serialize(), "again.onnx");
  EXPECT_EQ(again.OperatorTypes(), model.OperatorTypes());
  EXPECT_EQ(again.input().ToString(), model.input().ToString());
}

}  // namespace
}  // namespace fruits::model

namespace fruits::model {
namespace {

TEST(OnnxModel, Sha256NamesTheBytes) {
  std::string bytes = TinyNet();
  EXPECT_EQ(OnnxModel::Parse(bytes, "tiny.onnx").sha256(), Sha256Hex(bytes));
  EXPECT_NE(OnnxModel::Parse(TinyNet({.nhwc = true}), "t").sha256(), Sha256Hex(bytes));
}

// ONNX's shape inference would divide by the 0 (SIGFPE): Parse refuses it first.
TEST(OnnxModel, AZeroStrideIsRefusedBeforeShapeInference) {
  GraphBuilder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Initializer("w", {3, 3, 3, 3}, std::vector<float>(81, 0.5f));
  b.Node("Conv", {"x", "w"}, "y",
         {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{0, 1}}});
  b.Output("y", {-1, 3, 2, 4});
  try {
    OnnxModel::Parse(b.Serialize(), "stride0.onnx");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "model 'stride0.onnx': node 'y' (Conv) has strides [0, 1], which must be 1 or "
                 "more: the model is malformed");
  }
}

// Found by fuzz/onnx_fuzzer: a Transpose perm of another length than its input's rank made the
// convolution after it read past the shapes inside ONNX's shape inference (SEGV).
TEST(OnnxModel, ATransposeThatIsNotAPermutationIsRefusedBeforeShapeInference) {
  for (const std::vector<int64_t>& perm :
       {std::vector<int64_t>{0, 3, 2}, {0, 2, 1}, {0, 3, 1, 1}, {0, 4, 1, 2}}) {
    GraphBuilder b(13);
    b.Input("x", {-1, 4, 4, 3});
    b.Initializer("w", {2, 3, 1, 1}, std::vector<float>(6, 0.5f));
    b.Node("Transpose", {"x"}, "nchw", {{"perm", perm}});
    b.Node("Conv", {"nchw", "w"}, "y");
    b.Output("y", {-1, 2, 4, 4});
    try {
      OnnxModel::Parse(b.Serialize(), "perm.onnx");
      ADD_FAILURE() << "no error for perm " << ShapeToString(perm);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "model 'perm.onnx': node 'nchw' (Transpose) has perm " +
                                           ShapeToString(perm) +
                                           ", which is not a permutation of its input's axes: "
                                           "the model is malformed");
    }
  }
  GraphBuilder b(13);
  b.Input("x", {-1, 4, 4, 3});
  b.Node("Transpose", {"x"}, "y", {{"perm", std::vector<int64_t>{0, 3, 1, 2}}});
  b.Output("y", {-1, 3, 4, 4});
  EXPECT_NO_THROW(OnnxModel::Parse(b.Serialize(), "nhwc.onnx"));
}

// Found by fuzz/onnx_fuzzer running the models: OpenCV's importer copied as many bytes as the
// dimensions give from data stored shorter. Parse refuses such tensors, for every backend:
// initializers (typed fields and raw data of a length that is no whole number of values) and
// Constant nodes' values.
TEST(OnnxModel, TensorsStoringAnotherNumberOfValuesThanTheirDimensionsAreRefused) {
  auto model_with = [](const std::function<void(GraphBuilder&)>& add) {
    GraphBuilder b(13);
    b.Input("x", {-1, 3, 4, 4});
    add(b);
    b.Node("Conv", {"x", "w"}, "y");
    b.Output("y", {-1, 2, 4, 4});
    return b.Serialize();
  };
  const std::string expected =
      "model 'short.onnx': tensor 'w' [2, 3, 1, 1] stores another number of values than its "
      "dimensions give: the model is malformed";
  auto parse = [](const std::string& bytes) {
    return [bytes] { OnnxModel::Parse(bytes, "short.onnx"); };
  };
  EXPECT_EQ(ErrorOf(parse(model_with([](GraphBuilder& b) {
              b.Initializer("w", {2, 3, 1, 1}, {1, 2, 3});
            }))),
            expected);
  EXPECT_EQ(ErrorOf(parse(model_with([](GraphBuilder& b) {
              b.Initializer("w", {2, 3, 1, 1}, std::vector<float>(7, 1.0f));
            }))),
            expected);
  EXPECT_EQ(ErrorOf(parse(model_with([](GraphBuilder& b) {
              b.Initializer("w", {2, 3, 1, 1}, std::vector<float>(6, 1.0f));
              onnx::TensorProto& w =
                  b.mutable_proto().mutable_graph()->mutable_initializer()->at(0);
              w.clear_float_data();
              w.set_raw_data(std::string(6 * sizeof(float) - 1, '\0'));
            }))),
            expected);
  EXPECT_EQ(ErrorOf(parse(model_with([](GraphBuilder& b) {
              onnx::TensorProto w;
              w.set_name("w");
              w.set_data_type(onnx::TensorProto::FLOAT);
              for (int64_t d : {2, 3, 1, 1}) w.add_dims(d);
              w.add_float_data(1);
              onnx::NodeProto& constant = *b.mutable_proto().mutable_graph()->add_node();
              constant.set_op_type("Constant");
              constant.add_output("w");
              onnx::AttributeProto& value = *constant.add_attribute();
              value.set_name("value");
              value.set_type(onnx::AttributeProto::TENSOR);
              *value.mutable_t() = w;
            }))),
            expected);
  EXPECT_EQ(ErrorOf(parse(model_with([](GraphBuilder& b) {
              b.Initializer("w", {2, 3, 1, 1}, std::vector<float>(6, 1.0f));
            }))),
            "(no error)");
}

}  // namespace
}  // namespace fruits::model
