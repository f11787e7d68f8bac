// A decoded image: 8-bit RGB, what every decoder gives and every preprocessor takes.
#pragma once

#include <cstdint>
#include <vector>

namespace fruits::image {

// Rows top to bottom, pixels left to right, 3 bytes each in R, G, B order.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3 bytes
};

}  // namespace fruits::image
