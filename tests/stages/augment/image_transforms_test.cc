#include "stages/augment/image_transforms.h"

#include <catch2/catch.hpp>

#include <cmath>

using stages::CropBox;
using stages::Image;

namespace {

// An image whose pixels are all different: value = (index + 1) / (size + 1), inside (0, 1).
Image Ramp(int64_t channels, int64_t height, int64_t width) {
  Image image(channels, height, width);
  const auto total = static_cast<float>(image.pixels.size() + 1);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = static_cast<float>(i + 1) / total;
  }
  return image;
}

double MaxAbsDifference(const Image& a, const Image& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double worst = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a.pixels[i]) - b.pixels[i]));
  }
  return worst;
}

}  // namespace

TEST_CASE("flipping twice gives the original image back", "[image_transforms]") {
  const Image image = Ramp(3, 5, 7);
  CHECK(stages::FlipHorizontal(stages::FlipHorizontal(image)).pixels == image.pixels);
  CHECK(stages::FlipVertical(stages::FlipVertical(image)).pixels == image.pixels);
  // A single flip mirrors: the first column becomes the last.
  const Image flipped = stages::FlipHorizontal(image);
  CHECK(flipped.At(2, 3, 0) == image.At(2, 3, 6));
  CHECK(stages::FlipVertical(image).At(1, 0, 2) == image.At(1, 4, 2));
  CHECK(flipped.pixels != image.pixels);
}

TEST_CASE("rotating by 0 degrees is the identity", "[image_transforms]") {
  const Image image = Ramp(1, 6, 9);
  CHECK(stages::Rotate(image, 0.0, 0.5f).pixels == image.pixels);
}

TEST_CASE("rotating a square image by 90 degrees permutes its pixels", "[image_transforms]") {
  // Centre convention: ((W - 1) / 2, (H - 1) / 2); counter-clockwise as displayed, so
  // out(y, x) = in(x, W - 1 - y). The top-right corner moves to the top-left.
  for (int64_t side : {4, 5}) {
    const Image image = Ramp(2, side, side);
    const Image rotated = stages::Rotate(image, 90.0, 0.0f);
    for (int64_t c = 0; c < 2; ++c) {
      for (int64_t y = 0; y < side; ++y) {
        for (int64_t x = 0; x < side; ++x) {
          CHECK(rotated.At(c, y, x) == Approx(image.At(c, x, side - 1 - y)).margin(1e-6));
        }
      }
    }
    CHECK(rotated.At(0, 0, 0) == image.At(0, 0, side - 1));
    // Four quarter turns come back to the start; -90 undoes +90.
    Image turned = image;
    for (int i = 0; i < 4; ++i) turned = stages::Rotate(turned, 90.0, 0.0f);
    CHECK(MaxAbsDifference(turned, image) < 1e-6);
    CHECK(MaxAbsDifference(stages::Rotate(rotated, -90.0, 0.0f), image) < 1e-6);
  }
}

TEST_CASE("rotation fills the corners it uncovers", "[image_transforms]") {
  const Image ones(1, 9, 9, 1.0f);
  const Image rotated = stages::Rotate(ones, 45.0, 0.25f);
  // The corner samples (-4 * sqrt 2 ... ) fall far outside: pure fill. The centre stays 1.
  CHECK(rotated.At(0, 0, 0) == Approx(0.25f));
  CHECK(rotated.At(0, 4, 4) == 1.0f);
}

TEST_CASE("resizing to the same size and the full-image crop are identities", "[image_transforms]") {
  const Image image = Ramp(1, 7, 5);
  CHECK(stages::ResizeBilinear(image, 7, 5).pixels == image.pixels);
  CHECK(stages::CropAndResize(image, CropBox{0, 0, 7, 5}).pixels == image.pixels);
}

TEST_CASE("cropping then resizing keeps the shape and samples the crop", "[image_transforms]") {
  const Image image = Ramp(3, 8, 6);
  const Image out = stages::CropAndResize(image, CropBox{2, 1, 4, 3});
  CHECK(out.channels == 3);
  CHECK(out.height == 8);
  CHECK(out.width == 6);
  // Upscaling 2x with half-pixel centres: output (0, 0) samples input (-0.25, -0.25) of the
  // crop, clamped to its corner pixel, i.e. image (2, 1).
  CHECK(out.At(1, 0, 0) == image.At(1, 2, 1));
  CHECK(out.At(2, 7, 5) == image.At(2, 5, 3));
}

TEST_CASE("the resized-crop box with scale 1 and ratio 1 covers a square image",
          "[image_transforms]") {
  const double scale[2] = {1.0, 1.0};
  const double ratio[2] = {1.0, 1.0};
  pipeline::Rng rng(3);
  const CropBox box = stages::SampleResizedCropBox(28, 28, scale, ratio, rng);
  CHECK(box.top == 0);
  CHECK(box.left == 0);
  CHECK(box.height == 28);
  CHECK(box.width == 28);
}

TEST_CASE("the resized-crop box lies inside the image with the requested area",
          "[image_transforms]") {
  const double scale[2] = {0.25, 0.5};
  const double ratio[2] = {0.75, 4.0 / 3.0};
  for (uint64_t seed = 0; seed < 200; ++seed) {
    pipeline::Rng rng(seed);
    const CropBox box = stages::SampleResizedCropBox(28, 28, scale, ratio, rng);
    REQUIRE(box.top >= 0);
    REQUIRE(box.left >= 0);
    REQUIRE(box.top + box.height <= 28);
    REQUIRE(box.left + box.width <= 28);
    const double area = static_cast<double>(box.height * box.width) / (28.0 * 28.0);
    REQUIRE(area > 0.25 * 0.8);
    REQUIRE(area < 0.5 * 1.2);
  }
}

TEST_CASE("the resized-crop box falls back to the centre crop when nothing fits",
          "[image_transforms]") {
  // A wide 10 x 40 image cannot hold a 1:1 box of 90% of its area; the fallback clips the whole
  // image to the largest allowed ratio (1): a 10 x 10 box in the middle.
  const double scale[2] = {0.9, 0.9};
  const double ratio[2] = {1.0, 1.0};
  pipeline::Rng rng(1);
  const CropBox box = stages::SampleResizedCropBox(10, 40, scale, ratio, rng);
  CHECK(box.height == 10);
  CHECK(box.width == 10);
  CHECK(box.top == 0);
  CHECK(box.left == 15);
}

TEST_CASE("unit brightness and contrast factors and zero noise are identities",
          "[image_transforms]") {
  const Image image = Ramp(3, 4, 5);
  CHECK(stages::AdjustBrightness(image, 1.0).pixels == image.pixels);
  CHECK(stages::AdjustContrast(image, 1.0).pixels == image.pixels);
  pipeline::Rng rng(9);
  CHECK(stages::AddGaussianNoise(image, 0.0, rng).pixels == image.pixels);
}

TEST_CASE("brightness scales and clamps; contrast 0 gives the mean grey", "[image_transforms]") {
  Image image(1, 1, 2);
  image.pixels = {0.2f, 0.8f};
  const Image brighter = stages::AdjustBrightness(image, 1.5);
  CHECK(brighter.pixels[0] == Approx(0.3f));
  CHECK(brighter.pixels[1] == 1.0f);  // 1.2 clamped
  const Image flat = stages::AdjustContrast(image, 0.0);
  CHECK(flat.pixels[0] == Approx(0.5f));
  CHECK(flat.pixels[1] == Approx(0.5f));
}

TEST_CASE("noise changes the pixels and stays within [0, 1]", "[image_transforms]") {
  const Image image = Ramp(1, 10, 10);
  pipeline::Rng rng(4);
  const Image noisy = stages::AddGaussianNoise(image, 0.5, rng);
  CHECK(MaxAbsDifference(noisy, image) > 0.1);
  for (float value : noisy.pixels) {
    REQUIRE(value >= 0.0f);
    REQUIRE(value <= 1.0f);
  }
}

TEST_CASE("blurring a constant image leaves it constant", "[image_transforms]") {
  const Image flat(2, 6, 7, 0.4f);
  const Image blurred = stages::GaussianBlur(flat, 5, 1.3);
  for (float value : blurred.pixels) REQUIRE(value == Approx(0.4f).margin(1e-6));
}

TEST_CASE("blur spreads an impulse with the normalised Gaussian weights", "[image_transforms]") {
  Image impulse(1, 5, 5, 0.0f);
  impulse.At(0, 2, 2) = 1.0f;
  const Image blurred = stages::GaussianBlur(impulse, 3, 1.0);
  const double w0 = 1.0 / (1.0 + 2.0 * std::exp(-0.5));  // centre tap
  const double w1 = std::exp(-0.5) * w0;                  // neighbour tap
  CHECK(blurred.At(0, 2, 2) == Approx(w0 * w0));
  CHECK(blurred.At(0, 2, 3) == Approx(w0 * w1));
  CHECK(blurred.At(0, 1, 1) == Approx(w1 * w1));
  CHECK(blurred.At(0, 0, 0) == 0.0f);
  CHECK(stages::GaussianBlur(impulse, 1, 1.0).pixels == impulse.pixels);
}

TEST_CASE("translation shifts the content and fills the uncovered border", "[image_transforms]") {
  const Image image = Ramp(1, 4, 5);
  const Image shifted = stages::Translate(image, 2, -1, 0.0f);
  CHECK(shifted.At(0, 0, 2) == image.At(0, 1, 0));
  CHECK(shifted.At(0, 2, 4) == image.At(0, 3, 2));
  CHECK(shifted.At(0, 0, 0) == 0.0f);
  CHECK(shifted.At(0, 3, 3) == 0.0f);  // last row came from below the image
  CHECK(stages::Translate(image, 0, 0, 0.0f).pixels == image.pixels);
}

TEST_CASE("cutout fills exactly size x size pixels when inside, fewer at the border",
          "[image_transforms]") {
  const Image ones(1, 10, 10, 1.0f);
  auto zeros = [](const Image& image) {
    int64_t count = 0;
    for (float value : image.pixels) count += value == 0.0f ? 1 : 0;
    return count;
  };
  const Image inside = stages::Cutout(ones, 2, 3, 4, 0.0f);
  CHECK(zeros(inside) == 16);
  CHECK(inside.At(0, 2, 3) == 0.0f);
  CHECK(inside.At(0, 5, 6) == 0.0f);
  CHECK(inside.At(0, 6, 6) == 1.0f);
  CHECK(zeros(stages::Cutout(ones, -2, 8, 4, 0.0f)) == 2 * 2);
  // All channels are cut.
  CHECK(zeros(stages::Cutout(Image(3, 10, 10, 1.0f), 0, 0, 3, 0.0f)) == 27);
}
