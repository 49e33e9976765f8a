#pragma once
// Dropout: inverted dropout (Srivastava et al. 2014; spec type "dropout", key "p" = drop
// probability, default 0.5). In training each element is kept with probability 1 - p and
// scaled by 1 / (1 - p), so inference is the identity. Masks come from the layer's own
// pipeline::Rng stream, one uniform draw per element in the memory's physical order; the
// network reseeds the streams (Network::SeedDropout), so masks depend only on the seed.
// Not a oneDNN primitive: a plain loop over the buffer (blocked layouts included; their zero
// padding stays zero).

#include <string>
#include <vector>

#include "pipeline/rng.h"
#include "stages/train/nn/layer.h"

namespace stages::nn {

class Dropout : public Layer {
 public:
  Dropout(std::string name, double p);

  std::string type() const override { return "dropout"; }
  double p() const { return p_; }
  Dims OutputShape(const Dims& input) const override { return input; }
  void Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) override;
  void Forward(bool training) override;
  void Backward() override;

  void Seed(const pipeline::Rng& rng) { rng_ = rng; }

 private:
  double p_;
  pipeline::Rng rng_{0};
  std::vector<float> mask_;  // 0 or 1 / (1 - p) per element of the last training forward pass
  bool mask_active_ = false;  // false after an inference pass: backward is the identity
  dnnl::memory input_;
  dnnl::memory input_grad_;
};

}  // namespace stages::nn
