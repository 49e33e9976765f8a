#include "stages/train/nn/max_pool_2x2.h"

#include <algorithm>

// Implementation notes: one OpenMP loop over output rows of all planes; the innermost loop
// runs over the channel block (a compile-time 8 or 16), which GCC turns into compares and
// blends on whole vectors. Writing all four elements of a window in the backward pass (the
// gradient or zero) fills diff_src in one pass, without a separate memset.

namespace stages::nn {
namespace {

// Runs body(r, top) for every output row r (planes x height / 2 of them), in parallel; `top` is
// the offset of the first of the two input rows under it.
template <int kBlock, typename Body>
void ForEachOutputRow(const MaxPool2x2Shape& shape, const Body& body) {
  const int64_t out_h = shape.height / 2;
  const int64_t rows = shape.planes * out_h;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    body(r, ((r / out_h) * shape.height + 2 * (r % out_h)) * shape.width * kBlock);
  }
}

template <int kBlock>
void Forward(const MaxPool2x2Shape& shape, const float* src, float* dst, uint8_t* argmax) {
  const int64_t out_w = shape.width / 2;
  const int64_t row = shape.width * kBlock;
  ForEachOutputRow<kBlock>(shape, [&](int64_t r, int64_t top_offset) {
    const float* top = src + top_offset;
    const float* bottom = top + row;
    float* out = dst + r * out_w * kBlock;
    uint8_t* index = argmax + r * out_w * kBlock;
    for (int64_t ow = 0; ow < out_w; ++ow) {
      const float* a = top + 2 * ow * kBlock;
      const float* b = a + kBlock;
      const float* c = bottom + 2 * ow * kBlock;
      const float* d = c + kBlock;
      float* o = out + ow * kBlock;
      uint8_t* x = index + ow * kBlock;
#pragma omp simd
      for (int k = 0; k < kBlock; ++k) {
        float m = a[k];
        uint8_t i = 0;
        if (b[k] > m) {
          m = b[k];
          i = 1;
        }
        if (c[k] > m) {
          m = c[k];
          i = 2;
        }
        if (d[k] > m) {
          m = d[k];
          i = 3;
        }
        o[k] = m;
        x[k] = i;
      }
    }
  });
}

template <int kBlock>
void Backward(const MaxPool2x2Shape& shape, const float* diff_dst, const uint8_t* argmax,
              float* diff_src) {
  const int64_t out_w = shape.width / 2;
  const int64_t row = shape.width * kBlock;
  ForEachOutputRow<kBlock>(shape, [&](int64_t r, int64_t top_offset) {
    float* top = diff_src + top_offset;
    float* bottom = top + row;
    const float* g = diff_dst + r * out_w * kBlock;
    const uint8_t* index = argmax + r * out_w * kBlock;
    for (int64_t ow = 0; ow < out_w; ++ow) {
      float* a = top + 2 * ow * kBlock;
      float* b = a + kBlock;
      float* c = bottom + 2 * ow * kBlock;
      float* d = c + kBlock;
      const float* v = g + ow * kBlock;
      const uint8_t* x = index + ow * kBlock;
#pragma omp simd
      for (int k = 0; k < kBlock; ++k) {
        a[k] = x[k] == 0 ? v[k] : 0.f;
        b[k] = x[k] == 1 ? v[k] : 0.f;
        c[k] = x[k] == 2 ? v[k] : 0.f;
        d[k] = x[k] == 3 ? v[k] : 0.f;
      }
    }
    // An odd width leaves a last column no window covers.
    if (shape.width % 2 != 0) {
      std::fill(top + (shape.width - 1) * kBlock, top + row, 0.f);
      std::fill(bottom + (shape.width - 1) * kBlock, bottom + row, 0.f);
    }
  });
  // And an odd height a last row.
  if (shape.height % 2 != 0) {
    for (int64_t plane = 0; plane < shape.planes; ++plane) {
      float* last = diff_src + (plane * shape.height + shape.height - 1) * row;
      std::fill(last, last + row, 0.f);
    }
  }
}

}  // namespace

MaxPool2x2Shape MaxPool2x2ShapeOf(const MemoryDesc& src) {
  MaxPool2x2Shape shape;
  const int block = ChannelBlock(src);
  if (block == 0) return shape;
  const Dims dims = src.dims();
  shape.planes = dims[0] * ((dims[1] + block - 1) / block);
  shape.height = dims[2];
  shape.width = dims[3];
  shape.block = block;
  return shape;
}

void MaxPool2x2Forward(const MaxPool2x2Shape& shape, const float* src, float* dst,
                       uint8_t* argmax) {
  if (shape.block == 8) {
    Forward<8>(shape, src, dst, argmax);
  } else {
    Forward<16>(shape, src, dst, argmax);
  }
}

void MaxPool2x2Backward(const MaxPool2x2Shape& shape, const float* diff_dst,
                        const uint8_t* argmax, float* diff_src) {
  if (shape.block == 8) {
    Backward<8>(shape, diff_dst, argmax, diff_src);
  } else {
    Backward<16>(shape, diff_dst, argmax, diff_src);
  }
}

}  // namespace stages::nn
