#pragma once
// Image transforms for data augmentation: pure functions on one image of C x H x W float pixels
// (values nominally in [0, 1]). Geometric and photometric operations take their parameters
// explicitly, so tests can check them against hand-computed results; the few helpers that draw
// random parameters take a pipeline::Rng& and use nothing else. transform_pipeline.h decides
// which parameters to draw and in which order.
//
// Coordinate conventions (shared by every geometric transform):
//   - pixel (y, x) has its centre at (x, y) in continuous coordinates, so the image spans
//     [-0.5, W - 0.5] x [-0.5, H - 0.5] and its centre is ((W - 1) / 2, (H - 1) / 2);
//   - x grows to the right, y grows downwards;
//   - bilinear sampling weighs the four nearest pixel centres; a neighbour outside the image
//     contributes the `fill` value (like torchvision's fill for rotate/affine).
//
// All functions are thread-safe (no shared state); each call allocates its result.

#include <cstdint>
#include <vector>

#include "pipeline/rng.h"

namespace stages {

// One image, channel-major then row-major: pixels[(c * height + y) * width + x].
struct Image {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  std::vector<float> pixels;

  Image() = default;
  Image(int64_t channels_in, int64_t height_in, int64_t width_in, float value = 0.0f);
  // Copies channels * height * width floats from `data`.
  static Image FromData(const float* data, int64_t channels_in, int64_t height_in,
                        int64_t width_in);

  float& At(int64_t c, int64_t y, int64_t x) { return pixels[Index(c, y, x)]; }
  float At(int64_t c, int64_t y, int64_t x) const { return pixels[Index(c, y, x)]; }
  size_t Index(int64_t c, int64_t y, int64_t x) const {
    return static_cast<size_t>((c * height + y) * width + x);
  }
};

// A rectangle of pixels: rows [top, top + height), columns [left, left + width).
struct CropBox {
  int64_t top = 0;
  int64_t left = 0;
  int64_t height = 0;
  int64_t width = 0;
};

// Rotates by `degrees` counter-clockwise as displayed (y down), about the image centre, with
// bilinear sampling. The output pixel at offset (dx, dy) from the centre samples the input at
// (cx + cos t dx - sin t dy, cy + sin t dx + cos t dy). 0 degrees is the identity; 90 degrees
// on a square image maps out(y, x) = in(x, W - 1 - y) up to rounding of cos/sin.
Image Rotate(const Image& image, double degrees, float fill);

// Horizontal (left-right) and vertical (top-bottom) mirror images.
Image FlipHorizontal(const Image& image);
Image FlipVertical(const Image& image);

// Shifts the content by (dx, dy) whole pixels (positive: right, down); uncovered pixels get
// `fill`.
Image Translate(const Image& image, int64_t dx, int64_t dy, float fill);

// Resizes to out_height x out_width by bilinear interpolation with half-pixel centres
// (align_corners = false, as torchvision/PIL): output pixel o samples input coordinate
// (o + 0.5) * in / out - 0.5, clamped to the image. Equal sizes give the identity.
Image ResizeBilinear(const Image& image, int64_t out_height, int64_t out_width);

// Crops `box` (which must lie inside the image) and resizes it back to the image's size.
Image CropAndResize(const Image& image, const CropBox& box);

// The box of torchvision's RandomResizedCrop.get_params (torchvision/transforms/transforms.py):
// up to 10 attempts draw a target area = H W * U(scale) and an aspect ratio
// exp(U(log ratio)), w = round(sqrt(area * ratio)), h = round(sqrt(area / ratio)); the first
// box that fits is placed uniformly at random. After 10 failures: the centre crop with the
// whole image clipped to the ratio range. scale and ratio are [low, high] with low <= high.
CropBox SampleResizedCropBox(int64_t height, int64_t width, const double scale[2],
                             const double ratio[2], pipeline::Rng& rng);

// Separable Gaussian blur: kernel of odd `kernel_size` taps, weights exp(-d^2 / (2 sigma^2))
// normalised to sum 1, borders mirrored by reflection without repeating the edge pixel (as
// torchvision's gaussian_blur, padding_mode = "reflect"). A 1-pixel-wide dimension is left as
// is along that axis. kernel_size 1 is the identity.
Image GaussianBlur(const Image& image, int kernel_size, double sigma);

// Brightness: pixel * factor, clamped to [0, 1] (torchvision adjust_brightness).
Image AdjustBrightness(const Image& image, double factor);

// Contrast: factor * pixel + (1 - factor) * mean, clamped to [0, 1], where mean is the mean
// grey level of the image (channel 0 for C != 3; ITU-R 601 luma 0.299 R + 0.587 G + 0.114 B for
// C = 3), as torchvision adjust_contrast. Factor 1 is the identity (for values in [0, 1]).
Image AdjustContrast(const Image& image, double factor);

// Adds independent N(0, stddev^2) noise to every pixel (drawn in pixel order from `rng`) and
// clamps to [0, 1]. stddev 0 leaves the pixels unchanged (no clamping, no draws).
Image AddGaussianNoise(const Image& image, double stddev, pipeline::Rng& rng);

// Cutout (DeVries & Taylor, 2017, "Improved Regularization of Convolutional Neural Networks
// with Cutout"): sets the size x size square whose top-left pixel is (top, left), clipped to
// the image, to `fill` in every channel.
Image Cutout(const Image& image, int64_t top, int64_t left, int64_t size, float fill);

}  // namespace stages
