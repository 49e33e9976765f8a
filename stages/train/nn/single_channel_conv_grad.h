#pragma once
// The weight and bias gradients of a 3x3 stride-1 convolution with one input channel (the first
// layer of a CNN on grey images, S8's), written as our own loops: oneDNN 2.6's AVX2 kernel for
// it takes 2.7 ms per batch of 100 28x28 images into 32 channels on 2 threads, against 0.3 ms
// for its AVX-512 one. The input is plain (N, 1, H, W); the output gradient comes in nChw8c,
// the layout oneDNN's AVX2 convolutions produce (Conv2d takes oneDNN's kernel for other layouts).
//
// dW[o][kh][kw] = sum over n, y, x of in[n][y + kh - pad][x + kw - pad] * dy[n][o][y][x]
// (zero outside the image), db[o] = sum of dy[n][o][y][x]. Each example's sums are taken in
// float over its pixels, then the examples' sums are added in example order, so the result
// does not depend on the thread count.
//
// Thread-safe for distinct buffers; runs on the calling thread's OpenMP team.

#include <cstdint>
#include <vector>

#include "stages/train/nn/device.h"

namespace stages::nn {

struct SingleChannelConvShape {
  int64_t batch = 0;
  int64_t height = 0;  // input and output (stride 1, "same" or narrower padding)
  int64_t width = 0;
  int64_t out_height = 0;
  int64_t out_width = 0;
  int64_t pad = 0;
  int64_t channels = 0;  // output channels
};

// Whether these loops apply: 3x3 kernel, stride 1, one input channel, plain input, output
// gradient in nChw8c.
bool SingleChannelConvGradApplies(const MemoryDesc& input, const MemoryDesc& output_grad,
                                  int64_t kernel, int64_t stride);

class SingleChannelConvGrad {
 public:
  explicit SingleChannelConvGrad(const SingleChannelConvShape& shape);

  // weights_grad: [channels][1][3][3] plain; bias_grad: [channels] or null.
  void Compute(const float* input, const float* output_grad, float* weights_grad,
               float* bias_grad);

 private:
  SingleChannelConvShape shape_;
  std::vector<float> padded_;    // the input with `pad` zeros around each image
  std::vector<float> partials_;  // per example: 9 weight sums and the bias sum per channel
};

}  // namespace stages::nn
