#include "stages/common/raster.h"

#include <algorithm>
#include <cmath>

#include "stages/common/png_file.h"

namespace stages {
namespace {

// 3x5 glyphs, one row of 3 bits per entry, most significant bit on the left.
struct Glyph {
  char c;
  uint8_t rows[5];
};

constexpr Glyph kGlyphs[] = {
    {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}}, {'2', {7, 1, 7, 4, 7}},
    {'3', {7, 1, 7, 1, 7}}, {'4', {5, 5, 7, 1, 1}}, {'5', {7, 4, 7, 1, 7}},
    {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 1, 1, 1}}, {'8', {7, 5, 7, 5, 7}},
    {'9', {7, 5, 7, 1, 7}}, {'.', {0, 0, 0, 0, 2}}, {'-', {0, 0, 7, 0, 0}},
};

const Glyph* FindGlyph(char c) {
  for (const Glyph& glyph : kGlyphs) {
    if (glyph.c == c) return &glyph;
  }
  return nullptr;
}

}  // namespace

RgbImage::RgbImage(int image_width, int image_height)
    : width(image_width),
      height(image_height),
      pixels(static_cast<size_t>(image_width) * static_cast<size_t>(image_height) * 3, 255) {}

void RgbImage::Set(int x, int y, const uint8_t* rgb) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  std::copy(rgb, rgb + 3, &pixels[(static_cast<size_t>(y) * static_cast<size_t>(width) +
                                   static_cast<size_t>(x)) * 3]);
}

void FillRect(RgbImage& image, int x, int y, int w, int h, Rgb color) {
  const uint8_t rgb[3] = {color.r, color.g, color.b};
  const int x0 = std::max(0, x), x1 = std::min(image.width, x + w);
  const int y0 = std::max(0, y), y1 = std::min(image.height, y + h);
  for (int row = y0; row < y1; ++row) {
    for (int column = x0; column < x1; ++column) image.Set(column, row, rgb);
  }
}

void DrawGrey(RgbImage& image, int x, int y, const float* grey, int rows, int cols, int scale) {
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const float v = std::clamp(grey[r * cols + c], 0.0f, 1.0f);
      const auto level = static_cast<uint8_t>(std::lround(v * 255.0f));
      FillRect(image, x + c * scale, y + r * scale, scale, scale, {level, level, level});
    }
  }
}

void DrawText(RgbImage& image, int x, int y, const std::string& text, int scale, Rgb color) {
  for (char c : text) {
    if (const Glyph* glyph = FindGlyph(c)) {
      for (int row = 0; row < 5; ++row) {
        for (int bit = 0; bit < 3; ++bit) {
          if (glyph->rows[row] & (4 >> bit)) {
            FillRect(image, x + bit * scale, y + row * scale, scale, scale, color);
          }
        }
      }
    }
    x += 4 * scale;
  }
}

int TextWidth(const std::string& text, int scale) {
  return text.empty() ? 0 : static_cast<int>(text.size()) * 4 * scale - scale;
}

void WritePng(const RgbImage& image, const std::string& path) {
  WritePngFile(path, image.width, image.height, 3, image.pixels.data());
}

Rgb BlueScale(double t) {
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  // White to #08306b, the dark end of a common sequential blue palette.
  auto mix = [t](int from, int to) {
    return static_cast<uint8_t>(std::lround(from + (to - from) * t));
  };
  return {mix(255, 8), mix(255, 48), mix(255, 107)};
}

}  // namespace stages
