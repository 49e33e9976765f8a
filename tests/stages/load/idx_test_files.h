#pragma once
// Writes small IDX files (raw or gzip) for the reader and loader tests.

#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace stage_testing {

// The bytes of an IDX file: magic 0x000008<dims.size()>, the sizes, then `payload` as is (which
// may be shorter or longer than the sizes declare, to build corrupt files).
inline std::vector<uint8_t> IdxBytes(const std::vector<uint32_t>& dims,
                                     const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> bytes = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(d >> shift));
  }
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

inline void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile file = gzopen(path.c_str(), "wb");
    if (file == nullptr) throw std::runtime_error("cannot write " + path);
    const int written = gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
    if (written != static_cast<int>(bytes.size())) throw std::runtime_error("gzwrite " + path);
  } else {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
}

// Pixel i of an image file made by these tests.
inline uint8_t TestPixel(size_t i) { return static_cast<uint8_t>((i * 37 + 11) % 256); }

inline std::vector<uint8_t> TestPixels(size_t count) {
  std::vector<uint8_t> pixels(count);
  for (size_t i = 0; i < count; ++i) pixels[i] = TestPixel(i);
  return pixels;
}

}  // namespace stage_testing
