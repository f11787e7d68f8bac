// From a decoded image to one image's slot of a model's input tensor: resize, normalise, lay out.
//
// The Preprocessor is configured once (the model's input size and layout, the user's filter and
// normalisation) and then used by every decode worker: Run() is const and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image/rgb_image.h"

namespace fruits::image {

// How pixels are interpolated when resizing (see docs/images.md for which matches Keras and
// Pillow).
enum class ResizeFilter { kBilinear, kBicubic, kArea, kNearest };

// What is done to 8-bit values x before the model sees them.
enum class Normalization {
  kMobileNet,  // RGB, x / 127.5 - 1 (Keras' MobileNetV2 preprocess_input): the default
  kImageNet,   // RGB, (x / 255 - mean) / std, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)
  kCaffe,      // BGR, x - mean, mean (103.939, 116.779, 123.68) in BGR order
  kNone,       // RGB, x as is (0..255)
};

struct PreprocessOptions {
  int64_t width = 224;
  int64_t height = 224;
  ResizeFilter filter = ResizeFilter::kBilinear;
  Normalization normalization = Normalization::kMobileNet;
  // NHWC (channels last) when true; NCHW otherwise.
  bool channels_last = false;
};

// The names the command line uses ("bilinear", "mobilenet", ...), and back.
// Parse* throw fruits::UsageError listing the accepted names.
const std::vector<std::string>& ResizeFilterNames();
const std::vector<std::string>& NormalizationNames();
ResizeFilter ParseResizeFilter(const std::string& name);
Normalization ParseNormalization(const std::string& name);
std::string ToString(ResizeFilter filter);
std::string ToString(Normalization normalization);

class Preprocessor {
 public:
  explicit Preprocessor(const PreprocessOptions& options);

  const PreprocessOptions& options() const { return options_; }
  // Floats one image takes in the input tensor: 3 * height * width.
  size_t image_floats() const { return static_cast<size_t>(3 * options_.height * options_.width); }
  // Writes the image's model input, image_floats() floats in the configured layout, at `out`.
  // REQUIRES: image has width, height > 0.
  void Run(const RgbImage& image, float* out) const;

 private:
  PreprocessOptions options_;
};

}  // namespace fruits::image
