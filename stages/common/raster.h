#pragma once
// Raster: a small RGB canvas for the pictures stages write (image grids of examples and
// reconstructions, confusion matrices), saved as PNG through png_file.h. Text is limited to
// digits, '.', '-' and ' ' in a 3x5 pixel font scaled up, enough for class numbers and
// percentages. Not thread-safe; one canvas per picture.

#include <cstdint>
#include <string>
#include <vector>

namespace stages {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

class Raster {
 public:
  Raster(int width, int height, Rgb background = {255, 255, 255});

  int width() const { return width_; }
  int height() const { return height_; }

  // Pixels outside the canvas are clipped.
  void FillRect(int x, int y, int w, int h, Rgb color);
  // A grey image (values in [0, 1], clamped; `rows` x `cols`, row-major) with its top-left
  // corner at (x, y), each pixel drawn as a scale x scale square.
  void DrawGrey(int x, int y, const float* image, int rows, int cols, int scale);
  // Text of digits, '.', '-' and ' ' with its top-left corner at (x, y); glyphs are 3x5 pixels
  // times `scale`, one scaled pixel apart. Other characters are drawn as blanks.
  void DrawText(int x, int y, const std::string& text, int scale, Rgb color);
  static int TextWidth(const std::string& text, int scale);
  static int TextHeight(int scale) { return 5 * scale; }

  // Throws pipeline::StageError naming the path on failure.
  void SavePng(const std::string& path) const;

 private:
  int width_, height_;
  std::vector<uint8_t> pixels_;  // RGB
};

// A colour between white (t = 0) and dark blue (t = 1), for heat maps.
Rgb BlueScale(double t);

}  // namespace stages
