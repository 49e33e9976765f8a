#include "stages/augment/image_grid.h"

#include <algorithm>
#include <cmath>

#include "pipeline/errors.h"

#include "stages/common/png_file.h"

namespace stages {
namespace {

constexpr uint8_t kGapGrey = 128;

uint8_t ToByte(float value) {
  const double scaled = std::round(std::min(1.0, std::max(0.0, static_cast<double>(value))) * 255);
  return static_cast<uint8_t>(scaled);
}

}  // namespace

int64_t ImageGridUpscale(int64_t height, int64_t width) {
  const int64_t side = std::max(height, width);
  if (side <= 32) return 3;
  if (side <= 96) return 2;
  return 1;
}

void WriteImageGridPng(const std::string& path, const std::vector<std::vector<Image>>& cells) {
  if (cells.empty() || cells[0].empty()) {
    throw pipeline::StageError("image grid for " + path + " has no images");
  }
  const Image& first = cells[0][0];
  const int64_t channels = first.channels;
  if (channels != 1 && channels != 3) {
    throw pipeline::StageError("image grid for " + path + " needs 1 or 3 channels, got " +
                               std::to_string(channels));
  }
  const int64_t rows = static_cast<int64_t>(cells.size());
  const int64_t columns = static_cast<int64_t>(cells[0].size());
  const int64_t upscale = ImageGridUpscale(first.height, first.width);
  const int64_t cell_height = first.height * upscale;
  const int64_t cell_width = first.width * upscale;
  const int64_t width = columns * cell_width + (columns + 1) * kImageGridGap;
  const int64_t height = rows * cell_height + (rows + 1) * kImageGridGap;

  std::vector<uint8_t> picture(static_cast<size_t>(width * height * channels), kGapGrey);
  for (int64_t r = 0; r < rows; ++r) {
    if (static_cast<int64_t>(cells[static_cast<size_t>(r)].size()) != columns) {
      throw pipeline::StageError("image grid for " + path + ": rows differ in length");
    }
    for (int64_t col = 0; col < columns; ++col) {
      const Image& image = cells[static_cast<size_t>(r)][static_cast<size_t>(col)];
      if (image.channels != channels || image.height != first.height ||
          image.width != first.width) {
        throw pipeline::StageError("image grid for " + path + ": images differ in shape");
      }
      const int64_t top = kImageGridGap + r * (cell_height + kImageGridGap);
      const int64_t left = kImageGridGap + col * (cell_width + kImageGridGap);
      for (int64_t y = 0; y < cell_height; ++y) {
        for (int64_t x = 0; x < cell_width; ++x) {
          for (int64_t c = 0; c < channels; ++c) {
            picture[static_cast<size_t>(((top + y) * width + left + x) * channels + c)] =
                ToByte(image.At(c, y / upscale, x / upscale));
          }
        }
      }
    }
  }
  WritePngFile(path, static_cast<int>(width), static_cast<int>(height),
               static_cast<int>(channels), picture.data());
}

}  // namespace stages
