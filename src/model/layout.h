// The image input of a model: its name, memory layout and size, as read from the ONNX graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fruits::model {

// NCHW: PyTorch exports. NHWC: Keras/TensorFlow exports (tf2onnx), whose graph starts with a
// Transpose to NCHW.
enum class Layout { kNchw, kNhwc };

const char* LayoutName(Layout layout);

struct ImageInput {
  std::string name;
  Layout layout = Layout::kNchw;
  // A size the model leaves open (a symbolic dimension) is -1.
  int64_t channels = -1;
  int64_t height = -1;
  int64_t width = -1;

  bool HasFixedSize() const { return channels > 0 && height > 0 && width > 0; }
  // The input tensor's shape for n images, in this layout.
  std::vector<int64_t> BatchShape(int64_t n) const;
  // "NCHW [?, 3, 224, 224]"
  std::string ToString() const;
};

}  // namespace fruits::model
