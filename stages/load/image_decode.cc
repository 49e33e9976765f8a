#include "stages/load/image_decode.h"

// Implementation notes
// - The stb implementations are compiled into this file only and made `static`
//   (STB_IMAGE_STATIC, STB_IMAGE_RESIZE_STATIC), so they cannot clash with another file that
//   compiles stb too, and the build needs no libstb. stb's own warnings are silenced here.
// - The file is read into memory first (stbi_load_from_memory), so an unreadable file and an
//   undecodable one give distinct messages.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "pipeline/errors.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#include <stb/stb_image.h>
#define STB_IMAGE_RESIZE_STATIC
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb/stb_image_resize.h>
#pragma GCC diagnostic pop

namespace stages {
namespace {

using pipeline::DataError;

struct StbFree {
  void operator()(unsigned char* pixels) const { stbi_image_free(pixels); }
};

std::vector<unsigned char> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot open the image file for reading", path);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>());
}

}  // namespace

std::vector<float> DecodeImageFile(const std::string& path, const ImageSize& size) {
  const std::vector<unsigned char> bytes = ReadBytes(path);
  if (bytes.empty()) throw DataError("the image file is empty", path, 0);
  int width = 0;
  int height = 0;
  int source_channels = 0;
  std::unique_ptr<unsigned char, StbFree> pixels(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &width, &height,
                            &source_channels, size.channels));
  if (pixels == nullptr) {
    throw DataError(std::string("cannot decode the image: ") + stbi_failure_reason() +
                        " (PNG and JPEG are supported)",
                    path);
  }

  // HWC bytes -> CHW floats in [0, 1].
  const int channels = size.channels;
  const size_t plane = static_cast<size_t>(width) * static_cast<size_t>(height);
  std::vector<float> source(plane * static_cast<size_t>(channels));
  const auto stride = static_cast<size_t>(channels);
  for (size_t p = 0; p < plane; ++p) {
    for (size_t c = 0; c < stride; ++c) {
      source[c * plane + p] = static_cast<float>(pixels.get()[p * stride + c]) / 255.0f;
    }
  }
  if (width == size.width && height == size.height) return source;

  const size_t target_plane = static_cast<size_t>(size.width) * static_cast<size_t>(size.height);
  std::vector<float> target(target_plane * static_cast<size_t>(channels));
  for (size_t c = 0; c < stride; ++c) {
    const int ok = stbir_resize_float(source.data() + c * plane, width, height, 0,
                                      target.data() + c * target_plane, size.width, size.height,
                                      0, 1);
    if (ok == 0) throw DataError("stb_image_resize failed to resize the image", path);
  }
  for (float& value : target) value = std::clamp(value, 0.0f, 1.0f);
  return target;
}

}  // namespace stages
