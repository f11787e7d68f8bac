// From a decoded image to one image's slot of a model's input tensor: resize, normalise, lay out.
//
// The Preprocessor is configured once (the model's input size, channels and layout, the user's
// filter and normalisation) and then used by every decode worker: Run() is const and thread-safe.
//
// Grey models (1 channel) get the image converted as Pillow's Image.convert("L") does,
// L = (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16 (ITU-R 601-2 luma in 16-bit fixed point),
// before resizing, so the pixels equal Image.open(p).convert("L").resize(size, filter). Their
// normalisation: mobilenet and none as for RGB; imagenet with the mean and std of the three
// channels averaged (0.449, 0.226); caffe, whose means are per BGR channel, is refused.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "image/rgb_image.h"

namespace fruits::image {

// How pixels are interpolated when resizing: each reproduces Pillow's Image.resize filter of the
// same name exactly, antialiasing when downscaling (docs/images.md compares them with Keras and
// OpenCV).
enum class ResizeFilter {
  kBilinear,  // Pillow BILINEAR
  kBicubic,   // Pillow BICUBIC (a = -0.5): Pillow's default for Image.resize
  kArea,      // Pillow BOX: the average of the input pixels each output pixel covers
  kNearest,   // Pillow NEAREST: Keras' load_img default
};

// What is done to 8-bit values x before the model sees them.
enum class Normalization {
  kMobileNet,  // RGB, x / 127.5 - 1 (Keras' MobileNetV2 preprocess_input): the default
  kImageNet,  // RGB, (x / 255 - mean) / std, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225);
              // grey: mean 0.449, std 0.226
  kCaffe,     // BGR, x - mean, mean (103.939, 116.779, 123.68) in BGR order; RGB only
  kNone,      // RGB, x as is (0..255)
};

// The constants of the normalisations above (float32, as Keras and torchvision write them).
inline constexpr float kImageNetMean[3] = {0.485f, 0.456f, 0.406f};
inline constexpr float kImageNetStd[3] = {0.229f, 0.224f, 0.225f};
// Grey models: the three channels' mean and std averaged.
inline constexpr float kImageNetGreyMean = 0.449f;
inline constexpr float kImageNetGreyStd = 0.226f;
inline constexpr float kCaffeMeanBgr[3] = {103.939f, 116.779f, 123.68f};

struct PreprocessOptions {
  int64_t width = 224;
  int64_t height = 224;
  ResizeFilter filter = ResizeFilter::kBicubic;
  Normalization normalization = Normalization::kMobileNet;
  // NHWC (channels last) when true; NCHW otherwise.
  bool channels_last = false;
  // 3: RGB. 1: grey, converted from RGB as Pillow's Image.convert("L") does, before resizing.
  int channels = 3;
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
  // Throws fruits::UsageError when the size is not 1 to 65535 pixels a side or for caffe
  // normalisation of grey images, fruits::Error when channels is not 1 or 3.
  explicit Preprocessor(const PreprocessOptions& options);

  const PreprocessOptions& options() const { return options_; }
  // Floats one image takes in the input tensor: channels * height * width.
  size_t image_floats() const {
    return static_cast<size_t>(options_.channels * options_.height * options_.width);
  }
  // Writes the image's model input, image_floats() floats in the configured layout, at `out`.
  // REQUIRES: image has width, height > 0.
  void Run(const RgbImage& image, float* out) const;

 private:
  // Resizes `pixels` (width x height, options_.channels bytes a pixel) into `out`.
  void Resize(const uint8_t* pixels, int width, int height, float* out) const;
  // Writes output row y from `row` (options_.width packed pixels of options_.channels bytes):
  // normalised, laid out.
  void Emit(const uint8_t* row, int y, float* out) const;

  PreprocessOptions options_;
  // Output channel c takes input channel source_channel_[c] (Caffe reverses them) and maps its
  // value v to table_[c][v].
  std::array<int, 3> source_channel_;
  std::array<std::array<float, 256>, 3> table_;
};

}  // namespace fruits::image
