#pragma once
// Pool2d: max pooling ("maxpool") and average pooling ("avgpool", padding excluded from the
// average) over square windows. Shape (C, H, W) -> (C, (H + 2 pad - kernel) / stride + 1, ...)
// with floor division; stride defaults to the kernel size. Works on the input's layout (blocked
// or plain) without reordering. Max pooling keeps the arg-max positions from the forward pass
// for the backward pass; gradients of tied maxima go to the first in window order.

#include <cstdint>
#include <string>
#include <vector>

#include "stages/train/nn/layer.h"
#include "stages/train/nn/max_pool_2x2.h"

namespace stages::nn {

struct PoolOptions {
  int64_t kernel = 2;
  int64_t stride = 0;  // 0: equal to kernel
  int64_t pad = 0;
};

class Pool2d : public Layer {
 public:
  Pool2d(std::string name, const PoolOptions& options, bool max);

  std::string type() const override { return max_ ? "maxpool" : "avgpool"; }
  Dims OutputShape(const Dims& input) const override;
  void Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) override;
  void Forward(bool training) override;
  void Backward() override;

 private:
  int64_t stride() const { return options_.stride > 0 ? options_.stride : options_.kernel; }

  PoolOptions options_;
  bool max_;
  dnnl::memory input_;
  dnnl::memory input_grad_;
  dnnl::memory workspace_;
  MaxPool2x2Shape own_shape_;     // planes > 0: this build runs max_pool_2x2's loops
  std::vector<uint8_t> argmax_;   // their workspace
  dnnl::primitive forward_;
  dnnl::primitive backward_;
};

}  // namespace stages::nn
