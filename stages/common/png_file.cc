#include "stages/common/png_file.h"

// Implementation notes: stb_image_write is compiled here with STB_IMAGE_WRITE_STATIC, so its
// functions stay private to this translation unit and the build needs no extra library.

#include "pipeline/errors.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace stages {

void WritePngFile(const std::string& path, int width, int height, int channels,
                  const uint8_t* pixels) {
  if (stbi_write_png(path.c_str(), width, height, channels, pixels, width * channels) == 0) {
    throw pipeline::StageError("could not write the PNG '" + path +
                               "'; check that the folder exists and is writable");
  }
}

}  // namespace stages
