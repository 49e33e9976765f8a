#pragma once
// GaussianSample: the reparameterisation layer of a variational autoencoder (Kingma & Welling
// 2014; spec type "gaussian_sample", no keys). Its input per example is [mu, log_var] (2L
// values, e.g. from a linear layer with out = 2L); its output is z (L values):
//   training   z = mu + exp(log_var / 2) * eps,  eps ~ N(0, 1) from the layer's own stream
//   inference  z = mu  (so `encode` gives the mean vector)
// It also computes the KL divergence of N(mu, exp(log_var)) from N(0, 1), per example
//   KL = -1/2 sum_j (1 + log_var_j - mu_j^2 - exp(log_var_j)),
// and kl() is its mean over the batch. Backward adds d(kl())/d(input) to the gradient that
// flows from z, so a loss of (mean over the batch of) reconstruction + kl() is optimised by the
// usual backward pass: the VAE objective (objective.h) adds kl() to its reconstruction loss.
// Noise streams are set by Network::SeedDropout (like dropout masks), so samples depend only on
// the seed. A plain loop on plain-layout buffers (the input is converted if it is blocked).

#include <string>
#include <vector>

#include "pipeline/rng.h"
#include "stages/train/nn/conversion.h"
#include "stages/train/nn/layer.h"

namespace stages::nn {

class GaussianSample : public Layer {
 public:
  explicit GaussianSample(std::string name);

  std::string type() const override { return "gaussian_sample"; }
  Dims OutputShape(const Dims& input) const override;
  void Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) override;
  void Forward(bool training) override;
  void Backward() override;

  void Seed(const pipeline::Rng& rng) { rng_ = rng; }
  // The mean KL divergence per example of the last forward pass.
  double kl() const { return kl_; }

 private:
  pipeline::Rng rng_{0};
  Conversion to_plain_;
  Conversion from_plain_;
  bool has_input_grad_ = false;
  int64_t batch_ = 0;
  int64_t latent_ = 0;
  std::vector<float> eps_;  // of the last training pass; empty after an inference pass
  double kl_ = 0;
};

}  // namespace stages::nn
