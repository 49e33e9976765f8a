#pragma once
// Linear: fully connected layer y = W x + b (spec type "linear"; oneDNN inner product).
// Shape (F) -> (out). After a flatten the input may physically still be an image tensor in
// oneDNN's blocked layout: the inner product then reads it directly with 4-D weights
// [out, C, H, W], which saves reordering the activations (and their gradients) every batch.
// Parameters: "<name>.weight" plain [out, F] (F in C, H, W order, as PyTorch flattens),
// "<name>.bias" [out]. The weights, the backward pass and initialisation are WeightedLayer's.

#include <string>

#include "stages/train/nn/weighted_layer.h"

namespace stages::nn {

struct LinearOptions {
  int64_t out_features = 1;
  bool bias = true;
};

class Linear : public WeightedLayer {
 public:
  Linear(std::string name, const LinearOptions& options);

  std::string type() const override { return "linear"; }
  Dims OutputShape(const Dims& input) const override;
  void Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) override;
  void Forward(bool training) override;

 private:
  Fans WeightFans() const override;

  LinearOptions options_;
  dnnl::memory input_;
  dnnl::primitive forward_;
};

}  // namespace stages::nn
