#pragma once
// RgbImage: the small RGB canvas behind the pictures stages write (scatter plots, image grids of
// examples and reconstructions, confusion matrices), with the few drawing operations they need,
// saved as PNG through png_file.h. Text is limited to digits, '.', '-' and ' ' in a 3x5 pixel
// font scaled up: enough for class numbers and percentages. Not thread-safe; one image per
// picture.

#include <cstdint>
#include <string>
#include <vector>

namespace stages {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // row-major, 3 bytes per pixel

  RgbImage(int image_width, int image_height);  // filled white
  const uint8_t* At(int x, int y) const { return &pixels[(static_cast<size_t>(y) * width + x) * 3]; }
  void Set(int x, int y, const uint8_t* rgb);  // ignores pixels outside the image
};

// Drawing clips to the image.
void FillRect(RgbImage& image, int x, int y, int w, int h, Rgb color);
// A grey picture (values in [0, 1], clamped; `rows` x `cols`, row-major) with its top-left
// corner at (x, y), each pixel drawn as a scale x scale square.
void DrawGrey(RgbImage& image, int x, int y, const float* grey, int rows, int cols, int scale);
// Text of digits, '.', '-' and ' ' with its top-left corner at (x, y); glyphs are 3x5 pixels
// times `scale`, one scaled pixel apart. Other characters are drawn as blanks.
void DrawText(RgbImage& image, int x, int y, const std::string& text, int scale, Rgb color);
int TextWidth(const std::string& text, int scale);

// Writes the image as PNG; throws pipeline::StageError when the file cannot be written.
void WritePng(const RgbImage& image, const std::string& path);

// A colour between white (t = 0) and dark blue (t = 1), for heat maps.
Rgb BlueScale(double t);

}  // namespace stages
