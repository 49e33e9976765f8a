#pragma once
// Builds .npy files byte by byte for the npy_reader and npy_loader tests.

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace stage_testing {

// The header text numpy writes for `dict` (e.g. "{'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), }"): padded with spaces and a '\n' so the data starts at a multiple of 64.
inline std::vector<uint8_t> NpyHeaderBytes(const std::string& dict, int major = 1) {
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t prefix = bytes.size() + length_bytes;
  std::string text = dict;
  while ((prefix + text.size() + 1) % 64 != 0) text += ' ';
  text += '\n';
  for (size_t i = 0; i < length_bytes; ++i) {
    bytes.push_back(static_cast<uint8_t>((text.size() >> (8 * i)) & 0xFF));
  }
  bytes.insert(bytes.end(), text.begin(), text.end());
  return bytes;
}

inline std::string NpyDict(const std::string& descr, const std::string& shape,
                           bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

// Appends the little-endian bytes of `values`.
template <typename T>
void AppendValues(std::vector<uint8_t>& bytes, const std::vector<T>& values) {
  const size_t start = bytes.size();
  bytes.resize(start + values.size() * sizeof(T));
  std::memcpy(bytes.data() + start, values.data(), values.size() * sizeof(T));
}

template <typename T>
std::vector<uint8_t> NpyFile(const std::string& descr, const std::string& shape,
                             const std::vector<T>& values, int major = 1) {
  std::vector<uint8_t> bytes = NpyHeaderBytes(NpyDict(descr, shape), major);
  AppendValues(bytes, values);
  return bytes;
}

inline void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

}  // namespace stage_testing
