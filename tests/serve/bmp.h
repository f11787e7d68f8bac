// A solid-colour 24-bit BMP, written by hand: an image the decoder takes, made without any image
// library.
#pragma once

#include <cstdint>
#include <string>

namespace fruits::testing {

inline std::string SolidBmp(int width, int height, uint8_t r, uint8_t g, uint8_t b) {
  const int row = (width * 3 + 3) / 4 * 4;
  const uint32_t pixels = static_cast<uint32_t>(row * height);
  std::string out;
  const auto u16 = [&](uint32_t v) {
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>((v >> 8) & 0xff);
  };
  const auto u32 = [&](uint32_t v) {
    u16(v & 0xffff);
    u16(v >> 16);
  };
  out += "BM";
  u32(54 + pixels);
  u32(0);
  u32(54);
  u32(40);
  u32(static_cast<uint32_t>(width));
  u32(static_cast<uint32_t>(height));
  u16(1);
  u16(24);
  u32(0);
  u32(pixels);
  u32(2835);
  u32(2835);
  u32(0);
  u32(0);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      out += static_cast<char>(b);
      out += static_cast<char>(g);
      out += static_cast<char>(r);
    }
    out.append(static_cast<size_t>(row - width * 3), '\0');
  }
  return out;
}

}  // namespace fruits::testing
