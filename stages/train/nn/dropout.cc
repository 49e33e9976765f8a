#include "stages/train/nn/dropout.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace stages::nn {

Dropout::Dropout(std::string name, double p) : Layer(std::move(name)), p_(p) {}

void Dropout::Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) {
  device_ = &device;
  input_ = input;
  input_grad_ = input_grad != nullptr ? *input_grad : dnnl::memory();
  output_ = ZeroedMemory(device, input.get_desc());
  output_grad_ = ZeroedMemory(device, input.get_desc());
  mask_.assign(static_cast<size_t>(PhysicalSize(input.get_desc())), 1.f);
}

void Dropout::Forward(bool training) {
  const float* in = Data(input_);
  float* out = Data(output_);
  const size_t size = mask_.size();
  mask_active_ = training && p_ > 0;
  if (!mask_active_) {
    std::memcpy(out, in, size * sizeof(float));
    return;
  }
  // Compare 53-bit uniforms with p: keep with probability exactly 1 - p (up to 2^-53).
  const float scale = static_cast<float>(1.0 / (1.0 - p_));
  for (size_t i = 0; i < size; ++i) {
    mask_[i] = rng_.Uniform() >= p_ ? scale : 0.f;
    out[i] = in[i] * mask_[i];
  }
}

void Dropout::Backward() {
  if (!input_grad_) return;
  const float* grad_out = Data(output_grad_);
  float* grad_in = Data(input_grad_);
  const size_t size = mask_.size();
  if (!mask_active_) {
    std::memcpy(grad_in, grad_out, size * sizeof(float));
    return;
  }
  for (size_t i = 0; i < size; ++i) grad_in[i] = grad_out[i] * mask_[i];
}

}  // namespace stages::nn
