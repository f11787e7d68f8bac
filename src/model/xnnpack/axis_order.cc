#include "model/xnnpack/axis_order.h"

#include <algorithm>
#include <numeric>

namespace fruits::model::xnn {

AxisOrder RowMajor(size_t rank) {
  AxisOrder layout(rank);
  std::iota(layout.begin(), layout.end(), size_t{0});
  return layout;
}

AxisOrder ChannelsLast(size_t rank) { return rank == 4 ? AxisOrder{0, 2, 3, 1} : RowMajor(rank); }

std::vector<size_t> PhysicalDims(const std::vector<int64_t>& shape, const AxisOrder& layout) {
  std::vector<size_t> dims(layout.size());
  for (size_t i = 0; i < layout.size(); ++i) dims[i] = static_cast<size_t>(shape[layout[i]]);
  return dims;
}

bool SameData(const std::vector<int64_t>& shape, const AxisOrder& a, const AxisOrder& b) {
  auto long_axes = [&shape](const AxisOrder& layout) {
    AxisOrder axes;
    for (size_t axis : layout) {
      if (shape[axis] != 1) axes.push_back(axis);
    }
    return axes;
  };
  return long_axes(a) == long_axes(b);
}

std::vector<size_t> Permutation(const AxisOrder& from, const AxisOrder& to) {
  std::vector<size_t> permutation(to.size());
  for (size_t i = 0; i < to.size(); ++i) {
    permutation[i] = static_cast<size_t>(std::find(from.begin(), from.end(), to[i]) - from.begin());
  }
  return permutation;
}

AxisOrder Transposed(const AxisOrder& layout, const std::vector<int64_t>& perm) {
  AxisOrder result(layout.size());
  for (size_t i = 0; i < layout.size(); ++i) {
    result[i] =
        static_cast<size_t>(std::find(perm.begin(), perm.end(), int64_t(layout[i])) - perm.begin());
  }
  return result;
}

AxisOrder WithAxisLast(const AxisOrder& order, size_t axis) {
  AxisOrder result = order;
  result.erase(std::find(result.begin(), result.end(), axis));
  result.push_back(axis);
  return result;
}

AxisOrder WithoutAxes(const AxisOrder& layout, const std::vector<size_t>& removed) {
  AxisOrder result;
  for (size_t axis : layout) {
    if (std::count(removed.begin(), removed.end(), axis) > 0) continue;
    const auto below =
        std::count_if(removed.begin(), removed.end(), [axis](size_t r) { return r < axis; });
    result.push_back(axis - static_cast<size_t>(below));
  }
  return result;
}

namespace {

// Axes of the source and of the result that hold the same elements: the reshape merges `from`
// into `to` or splits it (either side may be empty for axes of size 1).
struct AxisGroup {
  std::vector<size_t> from;
  std::vector<size_t> to;
};

std::optional<std::vector<AxisGroup>> Groups(const std::vector<int64_t>& from,
                                             const std::vector<int64_t>& to) {
  std::vector<AxisGroup> groups;
  size_t i = 0, j = 0;
  while (i < from.size() || j < to.size()) {
    AxisGroup group;
    int64_t from_count = 1, to_count = 1;
    if (i < from.size()) group.from.push_back(i), from_count = from[i++];
    if (j < to.size()) group.to.push_back(j), to_count = to[j++];
    while (from_count != to_count) {
      if (from_count < to_count) {
        if (i == from.size()) return std::nullopt;
        group.from.push_back(i);
        from_count *= from[i++];
      } else {
        if (j == to.size()) return std::nullopt;
        group.to.push_back(j);
        to_count *= to[j++];
      }
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace

std::optional<ReshapeOrders> PlanReshape(const std::vector<int64_t>& from, const AxisOrder& layout,
                                         const std::vector<int64_t>& to) {
  std::optional<std::vector<AxisGroup>> groups = Groups(from, to);
  if (!groups || groups->empty() || groups->front().from != std::vector<size_t>{0} ||
      groups->front().to != std::vector<size_t>{0}) {
    return std::nullopt;
  }
  std::vector<size_t> group_of(from.size());
  for (size_t g = 0; g < groups->size(); ++g) {
    for (size_t axis : (*groups)[g].from) group_of[axis] = g;
  }
  // Each group is stored where its first axis is, its axes in order.
  ReshapeOrders layouts;
  std::vector<bool> placed(groups->size(), false);
  for (size_t axis : layout) {
    const size_t g = group_of[axis];
    if (placed[g]) continue;
    placed[g] = true;
    const AxisGroup& group = (*groups)[g];
    layouts.input.insert(layouts.input.end(), group.from.begin(), group.from.end());
    layouts.output.insert(layouts.output.end(), group.to.begin(), group.to.end());
  }
  // New axes of size 1 hold no data: anywhere will do.
  for (size_t g = 0; g < groups->size(); ++g) {
    if (placed[g]) continue;
    const AxisGroup& group = (*groups)[g];
    layouts.output.insert(layouts.output.end(), group.to.begin(), group.to.end());
  }
  return layouts;
}

std::vector<float> ToLayout(const std::vector<float>& values, const std::vector<int64_t>& dims,
                            const AxisOrder& layout) {
  const size_t rank = dims.size();
  std::vector<size_t> logical_stride(rank, 1);
  for (size_t i = rank; i-- > 1;) logical_stride[i - 1] = logical_stride[i] * size_t(dims[i]);
  std::vector<size_t> physical = PhysicalDims(dims, layout);
  std::vector<size_t> index(rank, 0);
  std::vector<float> out(values.size());
  for (size_t n = 0; n < out.size(); ++n) {
    size_t source = 0;
    for (size_t i = 0; i < rank; ++i) source += index[i] * logical_stride[layout[i]];
    out[n] = values[source];
    for (size_t i = rank; i-- > 0;) {
      if (++index[i] < physical[i]) break;
      index[i] = 0;
    }
  }
  return out;
}

}  // namespace fruits::model::xnn
