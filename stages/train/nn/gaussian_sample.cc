#include "stages/train/nn/gaussian_sample.h"

#include <cmath>
#include <utility>

#include "pipeline/errors.h"

namespace stages::nn {

GaussianSample::GaussianSample(std::string name) : Layer(std::move(name)) {}

Dims GaussianSample::OutputShape(const Dims& input) const {
  if (input.size() != 1 || input[0] % 2 != 0) {
    throw pipeline::ConfigError("layer " + name_ + " (gaussian_sample) takes [mu, log_var] of " +
                                "2L values per example (e.g. a linear layer with an even out), "
                                "not " + DimsString(input));
  }
  return {input[0] / 2};
}

void GaussianSample::Build(Device& device, const dnnl::memory& input,
                           const dnnl::memory* input_grad) {
  device_ = &device;
  const Dims in = input.get_desc().dims();
  batch_ = in[0];
  latent_ = in[1] / 2;
  const MemoryDesc plain_in = PlainDesc(in);
  to_plain_.BuildFrom(device, input, plain_in);
  has_input_grad_ = input_grad != nullptr;
  if (has_input_grad_) from_plain_.BuildInto(device, plain_in, *input_grad);
  output_ = ZeroedMemory(device, PlainDesc({batch_, latent_}));
  output_grad_ = ZeroedMemory(device, PlainDesc({batch_, latent_}));
}

void GaussianSample::Forward(bool training) {
  to_plain_.Run(*device_);
  device_->stream.wait();
  const float* in = Data(to_plain_.target());
  float* z = Data(output_);
  const int64_t two = 2 * latent_;
  eps_.assign(training ? static_cast<size_t>(batch_ * latent_) : 0, 0.f);
  double kl_sum = 0;
  for (int64_t i = 0; i < batch_; ++i) {
    double kl = 0;
    for (int64_t j = 0; j < latent_; ++j) {
      const float mu = in[i * two + j];
      const float log_var = in[i * two + latent_ + j];
      float value = mu;
      if (training) {
        const auto eps = static_cast<float>(rng_.Normal());
        eps_[static_cast<size_t>(i * latent_ + j)] = eps;
        value = mu + std::exp(0.5f * log_var) * eps;
      }
      z[i * latent_ + j] = value;
      kl += 1.0 + log_var - static_cast<double>(mu) * mu - std::exp(static_cast<double>(log_var));
    }
    kl_sum += -0.5 * kl;
  }
  kl_ = kl_sum / static_cast<double>(batch_);
}

void GaussianSample::Backward() {
  if (!has_input_grad_) return;
  const float* in = Data(to_plain_.target());
  const float* grad_z = Data(output_grad_);
  float* grad_in = Data(from_plain_.source());
  const int64_t two = 2 * latent_;
  const float per_example = 1.0f / static_cast<float>(batch_);
  for (int64_t i = 0; i < batch_; ++i) {
    for (int64_t j = 0; j < latent_; ++j) {
      const float mu = in[i * two + j];
      const float log_var = in[i * two + latent_ + j];
      const float g = grad_z[i * latent_ + j];
      const float sigma = std::exp(0.5f * log_var);
      const float eps = eps_.empty() ? 0.f : eps_[static_cast<size_t>(i * latent_ + j)];
      // dz/dmu = 1, dz/dlog_var = sigma eps / 2; d(kl)/dmu = mu / N,
      // d(kl)/dlog_var = (exp(log_var) - 1) / (2 N).
      grad_in[i * two + j] = g + mu * per_example;
      grad_in[i * two + latent_ + j] =
          g * 0.5f * sigma * eps + 0.5f * (sigma * sigma - 1.0f) * per_example;
    }
  }
  from_plain_.Run(*device_);
}

}  // namespace stages::nn
