#pragma once
// BatchNorm: batch normalisation (Ioffe & Szegedy 2015; spec type "batchnorm") over the
// channels of an image tensor (C, H, W) or the features of a vector (F); shape unchanged.
//   training:  y = gamma (x - mean_B) / sqrt(var_B + eps) + beta with the batch's statistics
//              (biased variance), and running statistics updated as PyTorch does:
//              running = (1 - momentum) running + momentum batch_stat, where the variance
//              fed in is unbiased (times n / (n - 1), n = N H W).
//   inference: the running statistics replace the batch's.
// Parameters: "<name>.gamma" (starts at 1), "<name>.beta" (starts at 0); state buffers
// "<name>.running_mean" (0), "<name>.running_var" (1). Backward needs the preceding forward
// pass to have run in training mode. Works in the input's layout (blocked or plain).

#include <memory>
#include <string>
#include <vector>

#include "stages/train/nn/layer.h"

namespace stages::nn {

struct BatchNormOptions {
  double momentum = 0.1;
  double epsilon = 1e-5;
};

class BatchNorm : public Layer {
 public:
  BatchNorm(std::string name, const BatchNormOptions& options);

  std::string type() const override { return "batchnorm"; }
  Dims OutputShape(const Dims& input) const override;
  void Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) override;
  void Forward(bool training) override;
  void Backward() override;
  std::vector<ParameterTensor*> Parameters() override;
  std::vector<StateBuffer> StateBuffers() override;
  void Initialize(const Init& init, pipeline::Rng& rng) override;

 private:
  void ResetState();  // gamma 1, beta 0, running mean 0, running variance 1

  BatchNormOptions options_;
  int64_t channels_ = 0;
  int64_t per_channel_count_ = 0;  // N * H * W of the current build
  std::unique_ptr<ParameterTensor> gamma_;
  std::unique_ptr<ParameterTensor> beta_;
  std::vector<float> running_mean_;
  std::vector<float> running_var_;

  // The input and the input gradient (the caller's, or a scratch buffer when none is wanted)
  // as Build got them; a caller may move their data handles between passes.
  dnnl::memory input_source_;
  dnnl::memory input_grad_source_;
  // The primitives' views of them, of output() and of output_grad() (see batch_norm.cc).
  dnnl::memory input_;
  dnnl::memory input_grad_;
  dnnl::memory output_view_;
  dnnl::memory output_grad_view_;
  dnnl::memory batch_mean_;
  dnnl::memory batch_var_;
  dnnl::memory running_mean_memory_;  // views of running_mean_ / running_var_
  dnnl::memory running_var_memory_;
  dnnl::primitive forward_training_;
  dnnl::primitive forward_inference_;
  dnnl::primitive backward_;
};

}  // namespace stages::nn
