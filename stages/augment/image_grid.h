#pragma once
// Writes a grid of small images as one PNG, so a person can look at augmentations: each cell is
// one C x H x W image (C = 1 grey or C = 3 RGB, values in [0, 1] scaled to 0..255 and clamped),
// upscaled by an integer factor (nearest neighbour) and separated by `kImageGridGap`-pixel
// mid-grey gaps, including a border around the whole grid.
//
// Picture size: width = columns * W * upscale + (columns + 1) * gap,
//               height = rows * H * upscale + (rows + 1) * gap.
// Thread-safe (no shared state).

#include <cstdint>
#include <string>
#include <vector>

#include "stages/augment/image_transforms.h"

namespace stages {

inline constexpr int64_t kImageGridGap = 2;

// The upscale factor used for images of this size: 3 up to 32 pixels, 2 up to 96, else 1.
int64_t ImageGridUpscale(int64_t height, int64_t width);

// Writes `cells` (rows of images; every image of the same shape, every row the same length,
// C = 1 or 3) to `path` as PNG with stb_image_write. Throws pipeline::StageError on a shape
// mismatch or a write failure.
void WriteImageGridPng(const std::string& path, const std::vector<std::vector<Image>>& cells);

}  // namespace stages
