#include "model/layout.h"

#include "model/tensor.h"

namespace fruits::model {

const char* LayoutName(Layout layout) { return layout == Layout::kNchw ? "NCHW" : "NHWC"; }

std::vector<int64_t> ImageInput::BatchShape(int64_t n) const {
  if (layout == Layout::kNchw) return {n, channels, height, width};
  return {n, height, width, channels};
}

std::string ImageInput::ToString() const {
  return std::string(LayoutName(layout)) + " " + ShapeToString(BatchShape(-1));
}

}  // namespace fruits::model
