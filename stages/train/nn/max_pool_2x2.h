#pragma once
// Max pooling with a 2x2 window and stride 2 (no padding) on channel-blocked activations
// (nChw8c / nChw16c, what oneDNN's convolutions produce): our own loops in place of oneDNN's
// pooling primitive for the most common pooling of CNNs. oneDNN 2.6's AVX2 max-pooling kernel
// takes 3.3-3.7 ms forward for S8's first pooling (100 x 32 x 28 x 28) on 2 threads, against
// 0.9 ms for its AVX-512 one; these loops are plain vectorisable code over the channel block,
// so they run near memory speed with either ISA (measured in bench/ via S8's epoch time).
//
// Semantics are oneDNN's: each output is the window's maximum, taken in window order (top left,
// top right, bottom left, bottom right) with ties going to the first; the backward pass sends
// each output's gradient to that element and zero to the other three (and to a last row or
// column that no window covers). The arg-max positions (0-3, one byte per output) are the
// workspace the forward pass leaves for the backward pass.
//
// Thread-safe for distinct buffers; runs on the calling thread's OpenMP team.

#include <cstdint>

#include "stages/train/nn/device.h"

namespace stages::nn {

struct MaxPool2x2Shape {
  int64_t planes = 0;  // batch x channel blocks (the channel count rounded up to the block)
  int64_t height = 0;  // input
  int64_t width = 0;
  int block = 16;  // channels per block: 8 or 16
};

// The shape of `src` when it is a channel-blocked layout these loops take (nChw8c or
// nChw16c), else planes = 0.
MaxPool2x2Shape MaxPool2x2ShapeOf(const MemoryDesc& src);

// dst: planes x (height / 2) x (width / 2) x block; argmax: the same count of bytes.
void MaxPool2x2Forward(const MaxPool2x2Shape& shape, const float* src, float* dst,
                       uint8_t* argmax);
// Writes every element of diff_src (planes x height x width x block).
void MaxPool2x2Backward(const MaxPool2x2Shape& shape, const float* diff_dst,
                        const uint8_t* argmax, float* diff_src);

}  // namespace stages::nn
