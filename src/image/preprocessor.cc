#include "image/preprocessor.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "util/error.h"

namespace fruits::image {
namespace {

// The resampling below reproduces Pillow's Image.resize (libImaging/Resample.c and, for nearest,
// Geometry.c) bit for bit, so that features match Python pipelines built on Pillow (Keras'
// load_img among them). Each output pixel is a weighted sum of the input pixels under a filter
// stretched by the downscaling factor: unlike cv::resize, downscaling antialiases.

// Weights are fixed point with 22 fractional bits, as Pillow's: 8 bits of result and 2 of headroom
// for the negative lobes of the cubic filter in a 32-bit sum.
constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);

struct Filter {
  double (*weight)(double x);
  double support;  // half-width at scale 1
};

double BoxWeight(double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }

double TriangleWeight(double x) {
  x = std::abs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Keys' cubic convolution with a = -0.5 (OpenCV's INTER_CUBIC uses -0.75).
double CubicWeight(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

Filter FilterFor(ResizeFilter filter) {
  switch (filter) {
    case ResizeFilter::kBilinear:
      return {TriangleWeight, 1.0};
    case ResizeFilter::kBicubic:
      return {CubicWeight, 2.0};
    case ResizeFilter::kArea:
      return {BoxWeight, 0.5};
    case ResizeFilter::kNearest:
      break;
  }
  assert(false && "nearest is not a convolution");
  return {BoxWeight, 0.5};
}

// Along one axis, for each output pixel: the input pixels [first, first + count) it blends and
// their weights (`window` slots per output pixel, the unused ones zero).
struct Taps {
  int window = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

// With `uniform` and an image at least a window wide, every count is the window: windows that
// Pillow cuts short at the edges move back inside the image with zero weights, which leaves the
// sums unchanged and gives the horizontal pass one trip count for every pixel.
Taps ComputeTaps(int in_size, int out_size, const Filter& filter, bool uniform) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double stretch = std::max(scale, 1.0);
  const double support = filter.support * stretch;
  Taps taps;
  taps.window = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(static_cast<size_t>(out_size) * taps.window, 0);
  // Pillow multiplies by the reciprocal rather than dividing: kept, for identical weights.
  const double inverse = 1.0 / stretch;
  std::vector<double> w(taps.window);
  for (int i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    // Truncation, not floor, as in Pillow; the clamps keep the window inside the image.
    const int first = std::max(static_cast<int>(center - support + 0.5), 0);
    const int count = std::min(static_cast<int>(center + support + 0.5), in_size) - first;
    double sum = 0;
    for (int t = 0; t < count; ++t) {
      w[t] = filter.weight((t + first - center + 0.5) * inverse);
      sum += w[t];
    }
    int32_t* k = &taps.weights[static_cast<size_t>(i) * taps.window];
    for (int t = 0; t < count; ++t) {
      const double normalised = sum != 0.0 ? w[t] / sum : w[t];
      const double fixed = normalised * (1 << kPrecisionBits);
      k[t] = static_cast<int32_t>(fixed < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    if (uniform && in_size >= taps.window) {
      const int shift = std::max(first + taps.window - in_size, 0);
      std::copy_backward(k, k + count, k + shift + count);
      std::fill_n(k, shift, 0);
      taps.first[i] = first - shift;
      taps.count[i] = taps.window;
    } else {
      taps.first[i] = first;
      taps.count[i] = count;
    }
  }
  return taps;
}

uint8_t Clip8(int32_t sum) {
  return static_cast<uint8_t>(std::clamp(sum >> kPrecisionBits, 0, 255));
}

// Pillow's nearest neighbour: the pixel under (i + 0.5) * in / out, with the position accumulated
// step by step in double precision as Pillow does (the rounding of the sum decides ties).
std::vector<int> NearestIndices(int in_size, int out_size) {
  const double step = static_cast<double>(in_size) / out_size;
  std::vector<int> index(out_size);
  double position = step * 0.5;
  for (int i = 0; i < out_size; ++i, position += step) {
    index[i] = std::min(static_cast<int>(position), in_size - 1);
  }
  return index;
}

// Horizontal pass over `rows` rows of packed pixels, kChannels bytes each (a constant, so the
// per-channel sums stay in registers).
template <int kChannels>
void ResampleRows(const uint8_t* in, int in_width, int rows, const Taps& taps, int out_width,
                  uint8_t* out) {
  // Locals, not taps' members: the byte stores below could alias them and force reloads.
  const int window = taps.window;
  const int* first = taps.first.data();
  const int* count = taps.count.data();
  const int32_t* weights = taps.weights.data();
  for (int y = 0; y < rows; ++y) {
    const uint8_t* line = in + static_cast<size_t>(y) * in_width * kChannels;
    uint8_t* dst = out + static_cast<size_t>(y) * out_width * kChannels;
    for (int x = 0; x < out_width; ++x) {
      const int32_t* k = weights + static_cast<size_t>(x) * window;
      const uint8_t* p = line + static_cast<size_t>(first[x]) * kChannels;
      int32_t sums[kChannels];
      std::fill_n(sums, kChannels, kHalf);
      for (int t = 0; t < count[x]; ++t, p += kChannels) {
        for (int c = 0; c < kChannels; ++c) sums[c] += p[c] * k[t];
      }
      for (int c = 0; c < kChannels; ++c) dst[kChannels * x + c] = Clip8(sums[c]);
    }
  }
}

// Pillow's convert("L") of RGB (Convert.c, L24): luma in 16-bit fixed point, rounded.
std::vector<uint8_t> ToGrey(const RgbImage& image) {
  std::vector<uint8_t> grey(static_cast<size_t>(image.width) * image.height);
  const uint8_t* p = image.pixels.data();
  for (size_t i = 0; i < grey.size(); ++i, p += 3) {
    grey[i] = static_cast<uint8_t>((p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16);
  }
  return grey;
}

// Vertical pass for one output row: `count` input rows from `in` on, weights `k`. The sums are
// taken kBlock values at a time in a local array, a loop GCC vectorises at -O2 (its "very cheap"
// cost model takes only loops of a known trip count); integer sums in any order equal Pillow's.
void ResampleColumn(const uint8_t* in, size_t stride, int count, const int32_t* k, uint8_t* out) {
  constexpr size_t kBlock = 16;
  size_t j = 0;
  for (; j + kBlock <= stride; j += kBlock) {
    int32_t sums[kBlock];
    std::fill_n(sums, kBlock, kHalf);
    for (int t = 0; t < count; ++t) {
      const uint8_t* row = in + t * stride + j;
      const int32_t weight = k[t];
      for (size_t u = 0; u < kBlock; ++u) sums[u] += row[u] * weight;
    }
    for (size_t u = 0; u < kBlock; ++u) out[j + u] = Clip8(sums[u]);
  }
  for (; j < stride; ++j) {
    int32_t sum = kHalf;
    for (int t = 0; t < count; ++t) sum += in[t * stride + j] * k[t];
    out[j] = Clip8(sum);
  }
}

}  // namespace

const std::vector<std::string>& ResizeFilterNames() {
  static const std::vector<std::string> kNames = {"bilinear", "bicubic", "area", "nearest"};
  return kNames;
}

const std::vector<std::string>& NormalizationNames() {
  static const std::vector<std::string> kNames = {"mobilenet", "imagenet", "caffe", "none"};
  return kNames;
}

namespace {

// The position of `name` in `names` (the enum's order), or a UsageError listing them.
int IndexOf(const std::vector<std::string>& names, const std::string& name, const char* what) {
  auto it = std::find(names.begin(), names.end(), name);
  if (it != names.end()) return static_cast<int>(it - names.begin());
  std::string accepted;
  for (const std::string& n : names) accepted += (accepted.empty() ? "" : ", ") + n;
  throw UsageError("unknown " + std::string(what) + " '" + name + "': use one of " + accepted);
}

}  // namespace

ResizeFilter ParseResizeFilter(const std::string& name) {
  return static_cast<ResizeFilter>(IndexOf(ResizeFilterNames(), name, "resize filter"));
}

Normalization ParseNormalization(const std::string& name) {
  return static_cast<Normalization>(IndexOf(NormalizationNames(), name, "normalization"));
}

std::string ToString(ResizeFilter filter) {
  return ResizeFilterNames().at(static_cast<size_t>(filter));
}

std::string ToString(Normalization normalization) {
  return NormalizationNames().at(static_cast<size_t>(normalization));
}

Preprocessor::Preprocessor(const PreprocessOptions& options) : options_(options) {
  if (options.width <= 0 || options.height <= 0 || options.width > 65535 ||
      options.height > 65535) {
    throw UsageError("preprocessing size " + std::to_string(options.width) + "x" +
                     std::to_string(options.height) + " is out of range (1 to 65535 pixels)");
  }
  if (options.channels != 1 && options.channels != 3) {
    throw Error("preprocessing for " + std::to_string(options.channels) +
                " channels: fruits makes RGB (3) or grey (1) images");
  }
  const bool grey = options.channels == 1;
  if (grey && options.normalization == Normalization::kCaffe) {
    throw UsageError(
        "--preprocess caffe subtracts a mean per BGR channel, which a grey (1-channel) model "
        "does not have: use mobilenet, imagenet or none");
  }
  // Every 8-bit value maps to one float per output channel: the normalisation is a table lookup.
  // The arithmetic is float32 in the order Keras and torchvision use, so values match theirs.
  for (int c = 0; c < 3; ++c) {
    source_channel_[c] = c;
    for (int v = 0; v < 256; ++v) {
      const float x = static_cast<float>(v);
      float y = x;
      switch (options.normalization) {
        case Normalization::kMobileNet:
          y = x / 127.5f - 1.0f;
          break;
        case Normalization::kImageNet:
          y = (x / 255.0f - (grey ? kImageNetGreyMean : kImageNetMean[c])) /
              (grey ? kImageNetGreyStd : kImageNetStd[c]);
          break;
        case Normalization::kCaffe:
          source_channel_[c] = 2 - c;
          y = x - kCaffeMeanBgr[c];
          break;
        case Normalization::kNone:
          break;
      }
      table_[c][v] = y;
    }
  }
}

void Preprocessor::Emit(const uint8_t* row, int y, float* out) const {
  const int width = static_cast<int>(options_.width);
  if (options_.channels == 1) {  // one plane: both layouts are the same
    float* dst = out + static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x) dst[x] = table_[0][row[x]];
    return;
  }
  const int s0 = source_channel_[0], s1 = source_channel_[1], s2 = source_channel_[2];
  if (options_.channels_last) {
    float* dst = out + static_cast<size_t>(y) * width * 3;
    for (int x = 0; x < width; ++x, row += 3, dst += 3) {
      dst[0] = table_[0][row[s0]];
      dst[1] = table_[1][row[s1]];
      dst[2] = table_[2][row[s2]];
    }
  } else {
    const size_t plane = static_cast<size_t>(options_.height) * width;
    float* dst = out + static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x, row += 3) {
      dst[x] = table_[0][row[s0]];
      dst[plane + x] = table_[1][row[s1]];
      dst[2 * plane + x] = table_[2][row[s2]];
    }
  }
}

void Preprocessor::Run(const RgbImage& image, float* out) const {
  assert(image.width > 0 && image.height > 0);
  assert(image.pixels.size() == static_cast<size_t>(image.width) * image.height * 3);
  if (options_.channels == 1) {
    Resize(ToGrey(image).data(), image.width, image.height, out);
  } else {
    Resize(image.pixels.data(), image.width, image.height, out);
  }
}

void Preprocessor::Resize(const uint8_t* pixels, int width, int height, float* out) const {
  const int channels = options_.channels;
  const int out_width = static_cast<int>(options_.width);
  const int out_height = static_cast<int>(options_.height);
  const size_t in_stride = static_cast<size_t>(width) * channels;
  const size_t out_stride = static_cast<size_t>(out_width) * channels;
  std::vector<uint8_t> row(out_stride);

  if (options_.filter == ResizeFilter::kNearest) {
    const std::vector<int> xs = NearestIndices(width, out_width);
    const std::vector<int> ys = NearestIndices(height, out_height);
    for (int y = 0; y < out_height; ++y) {
      const uint8_t* line = pixels + static_cast<size_t>(ys[y]) * in_stride;
      for (int x = 0; x < out_width; ++x) {
        std::copy_n(line + static_cast<size_t>(xs[x]) * channels, channels, &row[x * channels]);
      }
      Emit(row.data(), y, out);
    }
    return;
  }

  // As Pillow: horizontal pass first, over the input rows the vertical pass will read; a pass
  // whose size already matches is skipped (it would be the identity).
  const Filter filter = FilterFor(options_.filter);
  const bool horizontal = width != out_width;
  const bool vertical = height != out_height;
  const Taps rows = ComputeTaps(height, out_height, filter, /*uniform=*/false);
  const int first_row = vertical ? rows.first.front() : 0;
  const int end_row = vertical ? rows.first.back() + rows.count.back() : height;
  const uint8_t* source = pixels + static_cast<size_t>(first_row) * in_stride;
  std::vector<uint8_t> narrowed;
  if (horizontal) {
    narrowed.resize(static_cast<size_t>(end_row - first_row) * out_stride);
    const Taps columns = ComputeTaps(width, out_width, filter, /*uniform=*/true);
    auto resample = channels == 1 ? ResampleRows<1> : ResampleRows<3>;
    resample(source, width, end_row - first_row, columns, out_width, narrowed.data());
    source = narrowed.data();
  }
  if (!vertical) {
    for (int y = 0; y < out_height; ++y) Emit(source + y * out_stride, y, out);
    return;
  }
  for (int y = 0; y < out_height; ++y) {
    ResampleColumn(source + (rows.first[y] - first_row) * out_stride, out_stride, rows.count[y],
                   &rows.weights[static_cast<size_t>(y) * rows.window], row.data());
    Emit(row.data(), y, out);
  }
}

}  // namespace fruits::image
