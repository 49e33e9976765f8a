#pragma once
// ConvTranspose2d: the transposed 2-D convolution (spec type "conv_transpose"), oneDNN's
// deconvolution; it upsamples, e.g. kernel 2 stride 2 doubles H and W. All of the work is
// shared with Conv2d (conv2d.h documents shapes, parameters and layouts).

#include <string>
#include <utility>

#include "stages/train/nn/conv2d.h"

namespace stages::nn {

class ConvTranspose2d : public Conv2d {
 public:
  ConvTranspose2d(std::string name, const ConvOptions& options)
      : Conv2d(std::move(name), options, /*transposed=*/true) {}
};

}  // namespace stages::nn
