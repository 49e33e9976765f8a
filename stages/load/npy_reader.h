#pragma once
// Reader for NumPy .npy files, format versions 1.0, 2.0 and 3.0
// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//
//   bytes 0-5   magic "\x93NUMPY"
//   byte  6, 7  major, minor version
//   then        header length HLEN: uint16 little-endian (v1) or uint32 little-endian (v2, v3)
//   then        HLEN bytes of ASCII (v3: UTF-8) Python dict literal, e.g.
//               {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }
//               padded with spaces and a final '\n' (numpy aligns the data to 64 bytes)
//   then        the array data, prod(shape) * itemsize bytes, nothing after it.
//
// Only C-order arrays of plain little-endian numbers are read: fortran_order True, big-endian
// dtypes, object arrays ('O'), structured dtypes (a list descr) and kinds other than those
// listed below raise pipeline::DataError naming the file and the byte offset of the offending
// header field (or of the data where its size is wrong). Thread-safe (no shared state).

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/tensor.h"

namespace stages {

struct NpyHeader {
  int major_version = 0;
  int minor_version = 0;
  std::string descr;         // e.g. "<f4"
  char kind = 0;             // 'f' float, 'i' signed integer, 'u' unsigned integer
  int item_size = 0;         // bytes per element
  std::vector<int64_t> shape;
  int64_t data_offset = 0;   // byte offset of the data
  int64_t descr_offset = 0;  // byte offsets of the descr and shape values, for errors
  int64_t shape_offset = 0;
};

// Reads and checks the header (not the data size).
NpyHeader ReadNpyHeader(const std::string& path);

// Reads an array of dtype <f4, <f8 or |u1 as float32, keeping the first `limit` rows (first
// dimension; 0 keeps all). uint8 values are divided by 255 when scale_uint8, else kept as
// 0..255. The tensor has the file's shape (with the first dimension limited). `rows_in_file`
// receives the file's first dimension.
pipeline::Tensor ReadNpyFloat(const std::string& path, int64_t limit, bool scale_uint8,
                              int64_t* rows_in_file = nullptr);

// Reads a 1-D array of any little-endian integer dtype (i1..i8, u1..u8) as class labels,
// keeping the first `limit` entries (0: all). Values must lie in [0, 2^31 - 1]; `rows_in_file`
// receives the array length.
std::vector<int32_t> ReadNpyLabels(const std::string& path, int64_t limit,
                                   int64_t* rows_in_file = nullptr);

}  // namespace stages
