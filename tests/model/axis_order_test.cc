// Axis orders of the XNNPACK plan: which data a Transpose or a Reshape moves, and which it only
// sees another way.

#include "model/xnnpack/axis_order.h"

#include <gtest/gtest.h>

namespace fruits::model::xnn {
namespace {

const AxisOrder kNhwc = {0, 2, 3, 1};

TEST(AxisOrder, ChannelsLastIsNhwcForImagesOnly) {
  EXPECT_EQ(ChannelsLast(4), kNhwc);
  EXPECT_EQ(ChannelsLast(2), (AxisOrder{0, 1}));
  EXPECT_EQ(PhysicalDims({1, 3, 5, 7}, kNhwc), (std::vector<size_t>{1, 5, 7, 3}));
}

TEST(AxisOrder, AxesOfSizeOneDoNotMakeDifferentData) {
  EXPECT_TRUE(SameData({1, 8, 1, 1}, kNhwc, RowMajor(4)));
  EXPECT_FALSE(SameData({1, 8, 2, 1}, kNhwc, RowMajor(4)));
  EXPECT_TRUE(SameData({1, 8, 2, 1}, kNhwc, AxisOrder{0, 3, 2, 1}));
}

TEST(AxisOrder, ATransposeOnlyChangesTheOrder) {
  // ConvNeXt: NCHW stored NHWC, permuted to NHWC: now stored in its own order.
  EXPECT_EQ(Transposed(kNhwc, {0, 2, 3, 1}), RowMajor(4));
  // tf2onnx: an NHWC input seen as NCHW is stored channels last.
  EXPECT_EQ(Transposed(RowMajor(4), {0, 3, 1, 2}), kNhwc);
}

TEST(AxisOrder, PermutationMovesStoredAxes) {
  EXPECT_EQ(Permutation(kNhwc, RowMajor(4)), (std::vector<size_t>{0, 3, 1, 2}));
  EXPECT_EQ(Permutation(RowMajor(4), kNhwc), (std::vector<size_t>{0, 2, 3, 1}));
}

TEST(AxisOrder, WithAxisLastKeepsTheOthersInOrder) {
  EXPECT_EQ(WithAxisLast(kNhwc, 1), kNhwc);
  EXPECT_EQ(WithAxisLast(RowMajor(4), 1), kNhwc);
  EXPECT_EQ(WithAxisLast(kNhwc, 2), (AxisOrder{0, 3, 1, 2}));
}

TEST(AxisOrder, WithoutAxesRenumbersTheRest) {
  EXPECT_EQ(WithoutAxes(kNhwc, {2, 3}), (AxisOrder{0, 1}));
  EXPECT_EQ(WithoutAxes(AxisOrder{0, 3, 1, 2}, {1}), (AxisOrder{0, 2, 1}));
}

TEST(AxisOrder, FlatteningAFeatureMapNeedsNchwOrderFirst) {
  auto plan = PlanReshape({1, 512, 7, 7}, kNhwc, {1, 25088});
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->input, RowMajor(4));
  EXPECT_EQ(plan->output, RowMajor(2));
}

TEST(AxisOrder, FlatteningAPooledVectorMovesNothing) {
  auto plan = PlanReshape({1, 1280, 1, 1}, kNhwc, {1, 1280});
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(SameData({1, 1280, 1, 1}, plan->input, kNhwc));
  EXPECT_EQ(plan->output, RowMajor(2));
}

// ShuffleNet's channel shuffle: view(N, g, C/g, H, W), transpose(1, 2), view(N, C, H, W).
TEST(AxisOrder, AChannelShuffleMovesDataOnlyWhenTheGroupsMerge) {
  auto split = PlanReshape({1, 116, 28, 28}, kNhwc, {1, 2, 58, 28, 28});
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->input, kNhwc);  // the channels split where they are stored
  EXPECT_EQ(split->output, (AxisOrder{0, 3, 4, 1, 2}));
  const AxisOrder swapped = Transposed(split->output, {0, 2, 1, 3, 4});
  EXPECT_EQ(swapped, (AxisOrder{0, 3, 4, 2, 1}));
  auto merge = PlanReshape({1, 58, 2, 28, 28}, swapped, {1, 116, 28, 28});
  ASSERT_TRUE(merge.has_value());
  EXPECT_EQ(merge->input, (AxisOrder{0, 3, 4, 1, 2}));  // the shuffle: a real transpose
  EXPECT_EQ(merge->output, kNhwc);
}

TEST(AxisOrder, AReshapeMixingTheBatchIsRefused) {
  EXPECT_FALSE(PlanReshape({1, 6}, RowMajor(2), {6}).has_value());
  EXPECT_FALSE(PlanReshape({1, 4, 3}, RowMajor(3), {1, 5}).has_value());
}

TEST(AxisOrder, ConstantsAreReorderedForTheirTensor) {
  // A [1, 2, 1, 3] constant (logical NCHW) stored channels last: [1, 1, 3, 2].
  const std::vector<float> values = {0, 1, 2, 10, 11, 12};
  EXPECT_EQ(ToLayout(values, {1, 2, 1, 3}, kNhwc), (std::vector<float>{0, 10, 1, 11, 2, 12}));
}

}  // namespace
}  // namespace fruits::model::xnn
