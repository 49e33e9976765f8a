#pragma once
// Conv2d: 2-D convolution (spec type "conv"), and with `transposed` the transposed convolution
// ("conv_transpose", oneDNN's deconvolution) used by decoders. Square kernels, equal strides and
// padding in both directions.
//
// Shapes: conv (C, H, W) -> (out, (H + 2 pad - kernel) / stride + 1, ...), floor division;
//         conv_transpose (C, H, W) -> (out, (H - 1) stride - 2 pad + kernel + output_padding, ...).
// Parameters: "<name>.weight" plain [out, C, kernel, kernel] (oneDNN's oihw; for the transposed
// convolution too, which differs from PyTorch's [C, out, k, k]), "<name>.bias" [out].
// Layouts: source, weights and destination are chosen by oneDNN (format any), so activations
// stay in its blocked layout between convolutions; the input is reordered only when it comes
// in another layout (e.g. the plain NCHW network input).

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "stages/train/nn/conversion.h"
#include "stages/train/nn/layer.h"

namespace stages::nn {

struct ConvOptions {
  int64_t out_channels = 1;
  int64_t kernel = 3;
  int64_t stride = 1;
  int64_t pad = 0;
  int64_t output_padding = 0;  // transposed only: extra rows/columns at the bottom/right
  bool bias = true;
};

class Conv2d : public Layer {
 public:
  Conv2d(std::string name, const ConvOptions& options, bool transposed = false);

  std::string type() const override { return transposed_ ? "conv_transpose" : "conv"; }
  Dims OutputShape(const Dims& input) const override;
  void Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) override;
  void Forward(bool training) override;
  void Backward() override;
  std::vector<ParameterTensor*> Parameters() override;
  void Initialize(const Init& init, pipeline::Rng& rng) override;

  const ConvOptions& options() const { return options_; }

 private:
  template <typename Fwd, typename BwdData, typename BwdWeights>
  void BuildPrimitives(dnnl::algorithm algorithm, const Dims& src_dims, const Dims& dst_dims,
                       const dnnl::memory& input, const dnnl::memory* input_grad);

  ConvOptions options_;
  bool transposed_;
  std::unique_ptr<ParameterTensor> weights_;  // created by the first Build (needs C)
  std::unique_ptr<ParameterTensor> bias_;
  bool needs_input_grad_ = false;

  Conversion source_;           // input -> forward source layout
  Conversion weights_source_;   // forward source -> backward-weights source layout
  Conversion weights_diff_dst_; // output_grad -> backward-weights diff_dst layout
  Conversion data_diff_dst_;    // output_grad -> backward-data diff_dst layout
  Conversion data_weights_;     // weights -> backward-data weights layout (every pass)
  Conversion diff_source_;      // backward-data diff_src layout -> input_grad
  GradientSink weights_sink_;    // backward-weights layout -> weights gradient
  GradientSink bias_sink_;
  dnnl::primitive forward_;
  dnnl::primitive backward_data_;
  dnnl::primitive backward_weights_;
};

}  // namespace stages::nn
