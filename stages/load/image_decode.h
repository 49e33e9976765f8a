#pragma once
// Decodes one PNG or JPEG file into a float image of a requested size and channel count, with
// stb_image (decoding, colour conversion) and stb_image_resize (resampling). Used by the
// image_folder_loader stage. Thread-safe: stb keeps its failure reason per thread, and no other
// state is shared.

#include <cstdint>
#include <string>
#include <vector>

namespace stages {

struct ImageSize {
  int channels = 1;  // 1 (grayscale) or 3 (RGB)
  int height = 28;
  int width = 28;
};

// Returns channels * height * width floats in [0, 1], channel-major (CHW) as in NCHW tensors.
//   - Colour conversion is stb_image's: grayscale = (77 R + 150 G + 29 B) >> 8 on 8-bit values
//     (ITU-R BT.601 luma weights in 8-bit fixed point); gray sources are replicated into RGB;
//     alpha is dropped.
//   - 16-bit PNGs are reduced to 8 bits by stb_image; values are then divided by 255.
//   - When the size differs, each channel is resampled with stbir_resize_float's defaults
//     (Catmull-Rom when enlarging, Mitchell-Netravali when shrinking, edges clamped) and
//     clamped to [0, 1], since both filters can overshoot slightly at sharp edges.
// Throws pipeline::DataError naming the file and stb_image's reason when it cannot be read or
// decoded.
std::vector<float> DecodeImageFile(const std::string& path, const ImageSize& size);

}  // namespace stages
