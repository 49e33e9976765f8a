#pragma once
// Reader for IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.,
// http://yann.lecun.com/exdb/mnist/). Files may be gzip-compressed or raw; the reader tells them
// apart by the gzip magic bytes, so `train-images-idx3-ubyte.gz` and its decompressed copy read
// the same.
//
// Layout (all integers big-endian):
//   bytes 0-1   zero
//   byte  2     element type; only 0x08 (unsigned byte) is supported
//   byte  3     number of dimensions d
//   4 * d bytes the size of each dimension; the first is the number of examples
//   then        the elements, row-major, one byte each
// Images files have magic 0x00000803 ([N, rows, cols]); labels files 0x00000801 ([N]).
//
// Every problem (missing file, wrong magic, zero or implausible sizes, truncated data, trailing
// bytes, a corrupt gzip stream) throws pipeline::DataError naming the file and the byte offset.
// For gzip files the offset counts decompressed bytes.
//
// Thread-safe: the functions share no state. Pixel conversion uses tbb::parallel_for inside the
// caller's task arena; the result does not depend on the thread count.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/tensor.h"

namespace stages {

struct IdxImages {
  int64_t examples_in_file = 0;  // the count the header declares
  // float32 [n, 1, rows, cols] with pixel values byte / 255 in [0, 1], where n is the number of
  // examples read. IDX images have one channel; the channel axis follows the [N, C, H, W]
  // convention of pipeline/artifact.h.
  pipeline::Tensor pixels;
};

struct IdxLabels {
  int64_t examples_in_file = 0;  // the count the header declares
  pipeline::Tensor labels;       // int32 [n], each in 0..255
};

// Reads the first `limit` examples of an images file, or all of them when `limit` is 0 or at
// least the count in the file. Reading everything also checks that no bytes follow the data.
IdxImages ReadIdxImages(const std::string& path, int64_t limit = 0);

// Reads the first `limit` labels of a labels file (0: all), with the same checks.
IdxLabels ReadIdxLabels(const std::string& path, int64_t limit = 0);

}  // namespace stages
