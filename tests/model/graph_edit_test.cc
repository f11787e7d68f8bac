// Graph edits and tensor reading: TensorValues trusts no stored length.

#include "model/graph_edit.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <vector>

#include "util/error.h"

namespace fruits::model::graph {
namespace {

onnx::TensorProto FloatTensor(const std::vector<int64_t>& dims, const std::vector<float>& values,
                              bool raw) {
  onnx::TensorProto tensor;
  tensor.set_name("w");
  tensor.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t dim : dims) tensor.add_dims(dim);
  if (raw) {
    std::string bytes(values.size() * sizeof(float), '\0');
    if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    tensor.set_raw_data(bytes);
  } else {
    for (float value : values) tensor.add_float_data(value);
  }
  return tensor;
}

TEST(TensorValues, ReadsRawAndTypedData) {
  EXPECT_EQ(TensorValues(FloatTensor({2, 2}, {1, 2, 3, 4}, true)),
            (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(TensorValues(FloatTensor({3}, {1, 2, 3}, false)), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(TensorValues(FloatTensor({}, {5}, true)), (std::vector<double>{5}));
  EXPECT_TRUE(TensorValues(FloatTensor({4, 0}, {}, true)).empty());
}

// Found by fuzz/onnx_fuzzer: a Conv weight whose dims say [2, 7, 1, 1] (14 values) but whose
// raw_data holds 6 passes the ONNX checker, and the XNNPACK translation indexed past the 6.
TEST(TensorValues, RefusesDataShorterOrLongerThanItsDims) {
  for (bool raw : {true, false}) {
    EXPECT_THROW(TensorValues(FloatTensor({2, 7, 1, 1}, {1, 2, 3, 4, 5, 6}, raw)), Error);
    EXPECT_THROW(TensorValues(FloatTensor({2}, {1, 2, 3}, raw)), Error);
    EXPECT_THROW(TensorValues(FloatTensor({-1}, {1}, raw)), Error);
    EXPECT_THROW(TensorValues(FloatTensor({1LL << 40, 1LL << 40}, {1}, raw)), Error);
  }
}

}  // namespace
}  // namespace fruits::model::graph
