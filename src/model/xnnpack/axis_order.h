// The order in which a tensor of the plan stores its axes, relative to the shape the ONNX graph
// gives it.
//
// The plan stores every tensor as a dense row-major array whose axes are the graph's (logical)
// axes in some order: order[i] is the logical axis that physical axis i holds.
// Convolutions want channels last (logical NCHW stored NHWC: {0, 2, 3, 1}); a Transpose in the
// graph only changes the layout, so ConvNeXt's permutes and tf2onnx's input Transpose move no
// data. Data move only where an operator needs another layout than its input has. The batch is
// always logical and physical axis 0.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace fruits::model::xnn {

using AxisOrder = std::vector<size_t>;

// {0, 1, ..., rank - 1}: physical order equals logical order.
AxisOrder RowMajor(size_t rank);
// What convolutions and pooling read: {0, 2, 3, 1} for rank 4 (NCHW stored NHWC), else row major.
AxisOrder ChannelsLast(size_t rank);

// The physical dimensions of a tensor of logical `shape` stored in `layout`.
std::vector<size_t> PhysicalDims(const std::vector<int64_t>& shape, const AxisOrder& layout);

// Whether data stored in layout `a` is also the data in layout `b`: true when both order the
// axes longer than 1 alike (a [N, C, 1, 1] tensor is the same bytes channels-last or not).
bool SameData(const std::vector<int64_t>& shape, const AxisOrder& a, const AxisOrder& b);

// The permutation of physical axes that turns data in layout `from` into layout `to`: physical
// axis i of the result is physical axis result[i] of the source.
std::vector<size_t> Permutation(const AxisOrder& from, const AxisOrder& to);

// The layout after a Transpose with ONNX `perm` (output axis i is input axis perm[i]) of a
// tensor stored in `layout`: the data stay where they are.
AxisOrder Transposed(const AxisOrder& layout, const std::vector<int64_t>& perm);

// `order` with `axis` moved to the end (the axis a fully connected, a softmax, a LayerNorm or
// XNNPACK's PReLU works along, stored last), the others in their order.
AxisOrder WithAxisLast(const AxisOrder& order, size_t axis);

// The layout after axes are removed (ReduceMean without keepdims, Squeeze): the others keep
// their order, renumbered.
AxisOrder WithoutAxes(const AxisOrder& layout, const std::vector<size_t>& removed);

// A Reshape from logical `from` stored in `layout` to logical `to`: the layout its input must be
// in (each group of axes that the reshape merges or splits stored together and in order) and the
// layout of its result in the same bytes. nullopt when the reshape mixes the batch with other
// axes or the element counts differ.
struct ReshapeOrders {
  AxisOrder input;
  AxisOrder output;
};
std::optional<ReshapeOrders> PlanReshape(const std::vector<int64_t>& from, const AxisOrder& layout,
                                         const std::vector<int64_t>& to);

// A constant with logical dimensions `dims`, its values reordered for `layout`.
std::vector<float> ToLayout(const std::vector<float>& values, const std::vector<int64_t>& dims,
                            const AxisOrder& layout);

}  // namespace fruits::model::xnn
