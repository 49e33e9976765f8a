#pragma once
// Writes 8-bit images as PNG files: the one place stb_image_write is compiled into the project
// (stage pictures: augmentation grids, scatter plots). Thread-safe: no shared state.

#include <cstdint>
#include <string>

namespace stages {

// `pixels` holds height rows of width * channels bytes (channels 1 = grey, 3 = RGB, 4 = RGBA).
// Throws pipeline::StageError naming the path if the file cannot be written.
void WritePngFile(const std::string& path, int width, int height, int channels,
                  const uint8_t* pixels);

}  // namespace stages
