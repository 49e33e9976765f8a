#include "stages/train/nn/eltwise.h"

#include <utility>

namespace stages::nn {

using dnnl::memory;

Eltwise::Eltwise(std::string name, Activation activation, double alpha)
    : Layer(std::move(name)), activation_(activation), alpha_(alpha) {}

std::string Eltwise::type() const {
  switch (activation_) {
    case Activation::kRelu: return "relu";
    case Activation::kLeakyRelu: return "leaky_relu";
    case Activation::kSigmoid: return "sigmoid";
    case Activation::kTanh: return "tanh";
  }
  return "eltwise";
}

void Eltwise::Build(Device& device, const memory& input, const memory* input_grad) {
  device_ = &device;
  input_ = input;
  input_grad_ = input_grad != nullptr ? *input_grad : memory();
  const memory::desc data_md = input.get_desc();
  // Leaky ReLU is oneDNN's relu with a negative slope; the dst-based derivative needs a slope
  // >= 0 (the sign of y then tells the side), which the spec parser enforces.
  dnnl::algorithm algorithm = dnnl::algorithm::eltwise_relu_use_dst_for_bwd;
  float alpha = 0.f;
  switch (activation_) {
    case Activation::kRelu: break;
    case Activation::kLeakyRelu: alpha = static_cast<float>(alpha_); break;
    case Activation::kSigmoid: algorithm = dnnl::algorithm::eltwise_logistic_use_dst_for_bwd; break;
    case Activation::kTanh: algorithm = dnnl::algorithm::eltwise_tanh_use_dst_for_bwd; break;
  }
  const dnnl::eltwise_forward::primitive_desc forward_pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, algorithm, data_md, alpha),
      device.engine);
  forward_ = dnnl::eltwise_forward(forward_pd);
  output_ = ZeroedMemory(device, forward_pd.dst_desc());
  output_grad_ = ZeroedMemory(device, forward_pd.dst_desc());
  if (input_grad != nullptr) {
    const dnnl::eltwise_backward::primitive_desc backward_pd(
        dnnl::eltwise_backward::desc(algorithm, data_md, data_md, alpha), device.engine,
        forward_pd);
    backward_ = dnnl::eltwise_backward(backward_pd);
  }
}

void Eltwise::Forward(bool training) {
  Execute(*device_, forward_, {{DNNL_ARG_SRC, input_}, {DNNL_ARG_DST, output_}});
}

void Eltwise::Backward() {
  if (!input_grad_) return;
  Execute(*device_, backward_,
          {{DNNL_ARG_DST, output_},
           {DNNL_ARG_DIFF_DST, output_grad_},
           {DNNL_ARG_DIFF_SRC, input_grad_}});
}

}  // namespace stages::nn
