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
// in another layout (e.g. the plain NCHW network input). The weights, the backward pass and
// initialisation are WeightedLayer's.

#include <memory>
#include <string>

#include "stages/train/nn/conversion.h"
#include "stages/train/nn/single_channel_conv_grad.h"
#include "stages/train/nn/weighted_layer.h"

namespace stages::nn {

// auto: Winograd for the forward pass and the weight gradient where oneDNN has it (see
// conv2d.cc); direct: the direct kernels throughout.
enum class ConvAlgorithm { kAuto, kDirect };

struct ConvOptions {
  int64_t out_channels = 1;
  int64_t kernel = 3;
  int64_t stride = 1;
  int64_t pad = 0;
  int64_t output_padding = 0;  // transposed only: extra rows/columns at the bottom/right
  bool bias = true;
  ConvAlgorithm algorithm = ConvAlgorithm::kAuto;  // convolutions only
};

class Conv2d : public WeightedLayer {
 public:
  Conv2d(std::string name, const ConvOptions& options, bool transposed = false);

  std::string type() const override { return transposed_ ? "conv_transpose" : "conv"; }
  Dims OutputShape(const Dims& input) const override;
  void Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) override;
  void Forward(bool training) override;

  const ConvOptions& options() const { return options_; }

 private:
  Fans WeightFans() const override;
  template <typename Fwd, typename BwdData, typename BwdWeights>
  // `algorithm` for the data gradient; `faster` for the forward pass and the weight gradient
  // where oneDNN implements it for these shapes, `algorithm` otherwise.
  void BuildPrimitives(dnnl::algorithm algorithm, const Dims& src_dims, const Dims& dst_dims,
                       const dnnl::memory& input, const dnnl::memory* input_grad,
                       dnnl::algorithm faster);

  void OwnWeightGradients(float* weights_grad, float* bias_grad) override;

  ConvOptions options_;
  bool transposed_;
  Conversion source_;  // input -> forward source layout
  // Set when this build computes the weight gradient with single_channel_conv_grad.h's loops.
  std::unique_ptr<SingleChannelConvGrad> single_channel_grad_;
  dnnl::primitive forward_;
};

}  // namespace stages::nn
