#pragma once
// Linear: fully connected layer y = W x + b (spec type "linear"; oneDNN inner product).
// Shape (F) -> (out). After a flatten the input may physically still be an image tensor in
// oneDNN's blocked layout: the inner product then reads it directly with 4-D weights
// [out, C, H, W], which saves reordering the activations (and their gradients) every batch.
// Parameters: "<name>.weight" plain [out, F] (F in C, H, W order, as PyTorch flattens),
// "<name>.bias" [out].

#include <memory>
#include <string>

#include "stages/train/nn/conversion.h"
#include "stages/train/nn/layer.h"

namespace stages::nn {

struct LinearOptions {
  int64_t out_features = 1;
  bool bias = true;
};

class Linear : public Layer {
 public:
  Linear(std::string name, const LinearOptions& options);

  std::string type() const override { return "linear"; }
  Dims OutputShape(const Dims& input) const override;
  void Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) override;
  void Forward(bool training) override;
  void Backward() override;
  std::vector<ParameterTensor*> Parameters() override;
  void Initialize(const Init& init, pipeline::Rng& rng) override;

 private:
  LinearOptions options_;
  std::unique_ptr<ParameterTensor> weights_;
  std::unique_ptr<ParameterTensor> bias_;
  bool needs_input_grad_ = false;

  dnnl::memory input_;
  Conversion weights_source_;    // input -> backward-weights source layout
  Conversion weights_diff_dst_;  // output_grad -> backward-weights diff_dst layout
  Conversion data_diff_dst_;     // output_grad -> backward-data diff_dst layout
  Conversion data_weights_;     // weights -> backward-data weights layout (every pass)
  Conversion diff_source_;       // backward-data diff_src layout -> input_grad
  GradientSink weights_sink_;    // backward-weights layout -> weights gradient
  GradientSink bias_sink_;
  dnnl::primitive forward_;
  dnnl::primitive backward_data_;
  dnnl::primitive backward_weights_;
};

}  // namespace stages::nn
