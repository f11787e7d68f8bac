#include "report/thumbnail.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "image/decode.h"
#include "util/base64.h"

namespace fruits::report {

namespace {

// Enough for a recognisable fruit at 64 px, about 2 KB each.
constexpr int kJpegQuality = 80;

}  // namespace

Result<std::string> ThumbnailDataUrl(std::string_view bytes, int max_side) {
  Result<image::RgbImage> decoded = image::DecodeImage(bytes, image::DecodeOptions{});
  if (!decoded.ok()) return Result<std::string>::Failure(decoded.error());
  image::RgbImage& rgb = decoded.value();
  const cv::Mat pixels(rgb.height, rgb.width, CV_8UC3, rgb.pixels.data());
  const double scale =
      std::min(1.0, static_cast<double>(max_side) / std::max(rgb.width, rgb.height));
  cv::Mat small;
  cv::resize(pixels, small,
             cv::Size(std::max(1, static_cast<int>(rgb.width * scale + 0.5)),
                      std::max(1, static_cast<int>(rgb.height * scale + 0.5))),
             0, 0, cv::INTER_AREA);
  cv::Mat bgr;
  cv::cvtColor(small, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, kJpegQuality});
  return "data:image/jpeg;base64," +
         Base64Encode(std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()));
}

}  // namespace fruits::report
