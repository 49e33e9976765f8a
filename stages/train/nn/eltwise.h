#pragma once
// Eltwise: element-wise activations on oneDNN's eltwise primitive, shape unchanged, in the
// input's layout. Spec types and functions:
//   relu        max(x, 0)
//   leaky_relu  x if x > 0 else alpha x   (key "alpha", default 0.01)
//   sigmoid     1 / (1 + exp(-x))          (oneDNN eltwise_logistic)
//   tanh        tanh(x)
// The backward pass uses the forward output (oneDNN's *_use_dst_for_bwd algorithms), so the
// input need not be kept; for ReLU the derivative at exactly 0 is taken as 0.

#include <string>

#include "stages/train/nn/layer.h"

namespace stages::nn {

enum class Activation { kRelu, kLeakyRelu, kSigmoid, kTanh };

class Eltwise : public Layer {
 public:
  Eltwise(std::string name, Activation activation, double alpha = 0);

  std::string type() const override;
  Activation activation() const { return activation_; }
  double alpha() const { return alpha_; }
  Dims OutputShape(const Dims& input) const override { return input; }
  void Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) override;
  void Forward(bool training) override;
  void Backward() override;

 private:
  Activation activation_;
  double alpha_;
  dnnl::memory input_;
  dnnl::memory input_grad_;
  dnnl::primitive forward_;
  dnnl::primitive backward_;
};

}  // namespace stages::nn
