#include "stages/augment/image_transforms.h"

// Implementation notes
// - Everything is computed in double and stored as float; identities (rotation by 0, resize to
//   the same size, factors of 1) come out bit-exact because their interpolation weights are
//   exactly 0 and 1.
// - Bilinear sampling treats the neighbours outside the image as `fill` instead of clamping,
//   so rotating a digit does not smear its border pixels into the corners.

#include <algorithm>
#include <cmath>

namespace stages {
namespace {

constexpr double kPi = 3.14159265358979323846;

float Clamp01(double value) { return static_cast<float>(std::min(1.0, std::max(0.0, value))); }

// Bilinear value of channel c at continuous point (x, y); outside neighbours count as fill.
double SampleBilinear(const Image& image, int64_t c, double x, double y, float fill) {
  const double x_floor = std::floor(x);
  const double y_floor = std::floor(y);
  const double fx = x - x_floor;
  const double fy = y - y_floor;
  const int64_t x0 = static_cast<int64_t>(x_floor);
  const int64_t y0 = static_cast<int64_t>(y_floor);
  auto pixel = [&](int64_t yy, int64_t xx) -> double {
    if (xx < 0 || yy < 0 || xx >= image.width || yy >= image.height) return fill;
    return image.At(c, yy, xx);
  };
  // Skip zero-weight neighbours so an exact hit returns the pixel itself, bit for bit.
  double value = (1 - fx) * (1 - fy) * pixel(y0, x0);
  if (fx != 0) value += fx * (1 - fy) * pixel(y0, x0 + 1);
  if (fy != 0) value += (1 - fx) * fy * pixel(y0 + 1, x0);
  if (fx != 0 && fy != 0) value += fx * fy * pixel(y0 + 1, x0 + 1);
  return value;
}

// Reflects an index into [0, n) without repeating the edge ("reflect" padding: -1 -> 1).
int64_t Reflect(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

// Input coordinate sampled by output index `o` when resizing `in` samples to `out`.
double HalfPixelSource(int64_t o, int64_t in, int64_t out) {
  const double source = (static_cast<double>(o) + 0.5) * static_cast<double>(in) /
                            static_cast<double>(out) - 0.5;
  return std::min(static_cast<double>(in - 1), std::max(0.0, source));
}

}  // namespace

Image::Image(int64_t channels_in, int64_t height_in, int64_t width_in, float value)
    : channels(channels_in),
      height(height_in),
      width(width_in),
      pixels(static_cast<size_t>(channels_in * height_in * width_in), value) {}

Image Image::FromData(const float* data, int64_t channels_in, int64_t height_in,
                      int64_t width_in) {
  Image image;
  image.channels = channels_in;
  image.height = height_in;
  image.width = width_in;
  image.pixels.assign(data, data + channels_in * height_in * width_in);
  return image;
}

Image Rotate(const Image& image, double degrees, float fill) {
  const double radians = degrees * kPi / 180.0;
  // Exact values for the multiples of 90 degrees, where cos/sin of the rounded pi are off by
  // ~1e-16 and would turn an exact permutation into an interpolation.
  double cos_t = std::cos(radians);
  double sin_t = std::sin(radians);
  if (std::fmod(degrees, 90.0) == 0.0) {
    cos_t = std::round(cos_t);
    sin_t = std::round(sin_t);
  }
  const double cx = static_cast<double>(image.width - 1) / 2;
  const double cy = static_cast<double>(image.height - 1) / 2;
  Image out(image.channels, image.height, image.width);
  for (int64_t y = 0; y < image.height; ++y) {
    for (int64_t x = 0; x < image.width; ++x) {
      const double dx = static_cast<double>(x) - cx;
      const double dy = static_cast<double>(y) - cy;
      const double source_x = cx + cos_t * dx - sin_t * dy;
      const double source_y = cy + sin_t * dx + cos_t * dy;
      for (int64_t c = 0; c < image.channels; ++c) {
        out.At(c, y, x) = static_cast<float>(SampleBilinear(image, c, source_x, source_y, fill));
      }
    }
  }
  return out;
}

Image FlipHorizontal(const Image& image) {
  Image out(image.channels, image.height, image.width);
  for (int64_t c = 0; c < image.channels; ++c) {
    for (int64_t y = 0; y < image.height; ++y) {
      for (int64_t x = 0; x < image.width; ++x) {
        out.At(c, y, x) = image.At(c, y, image.width - 1 - x);
      }
    }
  }
  return out;
}

Image FlipVertical(const Image& image) {
  Image out(image.channels, image.height, image.width);
  for (int64_t c = 0; c < image.channels; ++c) {
    for (int64_t y = 0; y < image.height; ++y) {
      for (int64_t x = 0; x < image.width; ++x) {
        out.At(c, y, x) = image.At(c, image.height - 1 - y, x);
      }
    }
  }
  return out;
}

Image Translate(const Image& image, int64_t dx, int64_t dy, float fill) {
  Image out(image.channels, image.height, image.width, fill);
  for (int64_t c = 0; c < image.channels; ++c) {
    for (int64_t y = 0; y < image.height; ++y) {
      const int64_t source_y = y - dy;
      if (source_y < 0 || source_y >= image.height) continue;
      for (int64_t x = 0; x < image.width; ++x) {
        const int64_t source_x = x - dx;
        if (source_x < 0 || source_x >= image.width) continue;
        out.At(c, y, x) = image.At(c, source_y, source_x);
      }
    }
  }
  return out;
}

Image ResizeBilinear(const Image& image, int64_t out_height, int64_t out_width) {
  Image out(image.channels, out_height, out_width);
  for (int64_t y = 0; y < out_height; ++y) {
    const double source_y = HalfPixelSource(y, image.height, out_height);
    for (int64_t x = 0; x < out_width; ++x) {
      const double source_x = HalfPixelSource(x, image.width, out_width);
      for (int64_t c = 0; c < image.channels; ++c) {
        // Clamped coordinates never reach outside, so the fill value is never used.
        out.At(c, y, x) = static_cast<float>(SampleBilinear(image, c, source_x, source_y, 0.0f));
      }
    }
  }
  return out;
}

Image CropAndResize(const Image& image, const CropBox& box) {
  Image crop(image.channels, box.height, box.width);
  for (int64_t c = 0; c < image.channels; ++c) {
    for (int64_t y = 0; y < box.height; ++y) {
      for (int64_t x = 0; x < box.width; ++x) {
        crop.At(c, y, x) = image.At(c, box.top + y, box.left + x);
      }
    }
  }
  return ResizeBilinear(crop, image.height, image.width);
}

CropBox SampleResizedCropBox(int64_t height, int64_t width, const double scale[2],
                             const double ratio[2], pipeline::Rng& rng) {
  const double area = static_cast<double>(height * width);
  const double log_ratio_low = std::log(ratio[0]);
  const double log_ratio_high = std::log(ratio[1]);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * rng.Uniform(scale[0], scale[1]);
    const double aspect = std::exp(rng.Uniform(log_ratio_low, log_ratio_high));
    // Rng::Uniform(a, a) is a; std::round gives the same ties as Python's round only away from
    // .5, which is as close as this needs to be to torchvision.
    const auto w = static_cast<int64_t>(std::round(std::sqrt(target_area * aspect)));
    const auto h = static_cast<int64_t>(std::round(std::sqrt(target_area / aspect)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      CropBox box;
      box.height = h;
      box.width = w;
      box.top = static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(height - h + 1)));
      box.left = static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(width - w + 1)));
      return box;
    }
  }
  CropBox box;
  const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
  if (in_ratio < ratio[0]) {
    box.width = width;
    box.height = static_cast<int64_t>(std::round(static_cast<double>(width) / ratio[0]));
  } else if (in_ratio > ratio[1]) {
    box.height = height;
    box.width = static_cast<int64_t>(std::round(static_cast<double>(height) * ratio[1]));
  } else {
    box.height = height;
    box.width = width;
  }
  box.height = std::max<int64_t>(1, std::min(box.height, height));
  box.width = std::max<int64_t>(1, std::min(box.width, width));
  box.top = (height - box.height) / 2;
  box.left = (width - box.width) / 2;
  return box;
}

Image GaussianBlur(const Image& image, int kernel_size, double sigma) {
  const int radius = kernel_size / 2;
  std::vector<double> weights(static_cast<size_t>(kernel_size));
  double total = 0;
  for (int k = -radius; k <= radius; ++k) {
    const double w = std::exp(-static_cast<double>(k * k) / (2 * sigma * sigma));
    weights[static_cast<size_t>(k + radius)] = w;
    total += w;
  }
  for (double& w : weights) w /= total;

  // Horizontal pass into `rows`, then vertical pass into `out`.
  Image rows(image.channels, image.height, image.width);
  for (int64_t c = 0; c < image.channels; ++c) {
    for (int64_t y = 0; y < image.height; ++y) {
      for (int64_t x = 0; x < image.width; ++x) {
        double sum = 0;
        for (int k = -radius; k <= radius; ++k) {
          sum += weights[static_cast<size_t>(k + radius)] *
                 image.At(c, y, Reflect(x + k, image.width));
        }
        rows.At(c, y, x) = static_cast<float>(sum);
      }
    }
  }
  Image out(image.channels, image.height, image.width);
  for (int64_t c = 0; c < image.channels; ++c) {
    for (int64_t y = 0; y < image.height; ++y) {
      for (int64_t x = 0; x < image.width; ++x) {
        double sum = 0;
        for (int k = -radius; k <= radius; ++k) {
          sum += weights[static_cast<size_t>(k + radius)] *
                 rows.At(c, Reflect(y + k, image.height), x);
        }
        out.At(c, y, x) = static_cast<float>(sum);
      }
    }
  }
  return out;
}

Image AdjustBrightness(const Image& image, double factor) {
  Image out = image;
  for (float& value : out.pixels) value = Clamp01(static_cast<double>(value) * factor);
  return out;
}

Image AdjustContrast(const Image& image, double factor) {
  const int64_t plane = image.height * image.width;
  double mean = 0;
  if (image.channels == 3) {
    for (int64_t i = 0; i < plane; ++i) {
      mean += 0.299 * image.pixels[static_cast<size_t>(i)] +
              0.587 * image.pixels[static_cast<size_t>(plane + i)] +
              0.114 * image.pixels[static_cast<size_t>(2 * plane + i)];
    }
  } else {
    for (int64_t i = 0; i < plane; ++i) mean += image.pixels[static_cast<size_t>(i)];
  }
  mean /= static_cast<double>(std::max<int64_t>(1, plane));
  Image out = image;
  for (float& value : out.pixels) {
    value = Clamp01(factor * static_cast<double>(value) + (1 - factor) * mean);
  }
  return out;
}

Image AddGaussianNoise(const Image& image, double stddev, pipeline::Rng& rng) {
  Image out = image;
  if (stddev == 0) return out;
  for (float& value : out.pixels) value = Clamp01(value + rng.Normal(0.0, stddev));
  return out;
}

Image Cutout(const Image& image, int64_t top, int64_t left, int64_t size, float fill) {
  Image out = image;
  const int64_t y_end = std::min(image.height, top + size);
  const int64_t x_end = std::min(image.width, left + size);
  for (int64_t c = 0; c < image.channels; ++c) {
    for (int64_t y = std::max<int64_t>(0, top); y < y_end; ++y) {
      for (int64_t x = std::max<int64_t>(0, left); x < x_end; ++x) out.At(c, y, x) = fill;
    }
  }
  return out;
}

}  // namespace stages
