#include "stages/train/nn/single_channel_conv_grad.h"

#include <algorithm>

// Implementation notes: per example and block of 8 output channels, nine accumulators of 8
// lanes (one per tap) stay in registers while the loop walks the output pixels: each pixel
// loads its 8 gradients once and broadcasts the 9 input values under the window. The input is
// copied with its zero border first, so the loop has no bounds tests.

namespace stages::nn {
namespace {

constexpr int kBlock = 8;
constexpr int kTaps = 9;
constexpr int64_t kPartial = (kTaps + 1) * kBlock;  // per example and channel block

}  // namespace

bool SingleChannelConvGradApplies(const MemoryDesc& input, const MemoryDesc& output_grad,
                                  int64_t kernel, int64_t stride) {
  const Dims in = input.dims();
  return kernel == 3 && stride == 1 && in.size() == 4 && in[1] == 1 && input == PlainDesc(in) &&
         ChannelBlock(output_grad) == 8;
}

SingleChannelConvGrad::SingleChannelConvGrad(const SingleChannelConvShape& shape)
    : shape_(shape) {
  const int64_t padded_h = shape.height + 2 * shape.pad;
  const int64_t padded_w = shape.width + 2 * shape.pad;
  padded_.assign(static_cast<size_t>(shape.batch * padded_h * padded_w), 0.f);
  const int64_t blocks = (shape.channels + kBlock - 1) / kBlock;
  partials_.assign(static_cast<size_t>(shape.batch * blocks * kPartial), 0.f);
}

void SingleChannelConvGrad::Compute(const float* input, const float* output_grad,
                                    float* weights_grad, float* bias_grad) {
  const SingleChannelConvShape& s = shape_;
  const int64_t padded_h = s.height + 2 * s.pad;
  const int64_t padded_w = s.width + 2 * s.pad;
  const int64_t blocks = (s.channels + kBlock - 1) / kBlock;
  const int64_t pixels = s.out_height * s.out_width;
  const auto batch = static_cast<std::ptrdiff_t>(s.batch);
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t n = 0; n < batch; ++n) {
    float* image = padded_.data() + n * padded_h * padded_w;
    const float* source = input + n * s.height * s.width;
    for (int64_t y = 0; y < s.height; ++y) {
      std::copy(source + y * s.width, source + (y + 1) * s.width,
                image + (y + s.pad) * padded_w + s.pad);
    }
    for (int64_t b = 0; b < blocks; ++b) {
      float acc[kTaps + 1][kBlock] = {};
      const float* dy = output_grad + (n * blocks + b) * pixels * kBlock;
      for (int64_t y = 0; y < s.out_height; ++y) {
        const float* row0 = image + y * padded_w;
        const float* row1 = row0 + padded_w;
        const float* row2 = row1 + padded_w;
        for (int64_t x = 0; x < s.out_width; ++x) {
          const float* d = dy + (y * s.out_width + x) * kBlock;
          const float taps[kTaps] = {row0[x], row0[x + 1], row0[x + 2],
                                     row1[x], row1[x + 1], row1[x + 2],
                                     row2[x], row2[x + 1], row2[x + 2]};
          for (int t = 0; t < kTaps; ++t) {
#pragma omp simd
            for (int l = 0; l < kBlock; ++l) acc[t][l] += taps[t] * d[l];
          }
#pragma omp simd
          for (int l = 0; l < kBlock; ++l) acc[kTaps][l] += d[l];
        }
      }
      float* partial = partials_.data() + (n * blocks + b) * kPartial;
      for (int t = 0; t <= kTaps; ++t) std::copy(acc[t], acc[t] + kBlock, partial + t * kBlock);
    }
  }
  // The examples' sums in example order.
  const auto entries = static_cast<std::ptrdiff_t>(s.channels * (kTaps + 1));
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t e = 0; e < entries; ++e) {
    const int64_t o = e / (kTaps + 1);
    const int64_t t = e % (kTaps + 1);
    const int64_t offset = (o / kBlock) * kPartial + t * kBlock + o % kBlock;
    float sum = 0.f;
    for (int64_t n = 0; n < s.batch; ++n) {
      sum += partials_[static_cast<size_t>(n * blocks * kPartial + offset)];
    }
    if (t < kTaps) {
      weights_grad[o * kTaps + t] = sum;
    } else if (bias_grad != nullptr) {
      bias_grad[o] = sum;
    }
  }
}

}  // namespace stages::nn
