#include "stages/train/nn/conv2d.h"

#include <unordered_map>
#include <utility>

#include "pipeline/errors.h"

// Implementation notes: the convolution and the transposed convolution differ only in the
// oneDNN primitive family and the shape rule, so one templated builder serves both. Backward
// primitives get the forward primitive descriptor as a hint and choose every layout themselves
// (format any): forcing the forward weight layout on them makes oneDNN 2.6 fall back to its
// reference kernels (seconds per batch instead of milliseconds). So the weights are reordered
// into the backward-data layout each pass (a few KB), and the weight gradient is reordered into
// the values' layout by a GradientSink when the layouts differ; activation layouts are bridged
// by Conversions, which alias in the usual case (WeightedLayer builds the backward bridges).
//
// Algorithm `auto` asks for Winograd (F(4x4, 3x3)) for the forward pass and the weight gradient of
// 3x3 stride-1 convolutions with at least 16 input and output channels and takes the direct kernels
// where oneDNN has no Winograd implementation (AVX2 machines, odd channel counts). Measured for
// S8's second convolution (100 x 32 x 14 x 14 -> 64, 2 threads, AVX-512): forward 1.72 -> 0.87 ms,
// weight gradient 1.75 -> 0.94 ms; its data gradient is no faster with Winograd (1.65 vs 1.74 ms),
// so that one stays direct. Winograd rounds differently from the direct kernels; `direct`
// computes what PyTorch's CPU convolution computes. With few channels the tile transforms dominate:
// S8's first convolution (1 -> 32 channels) takes 2.1 ms forward with Winograd against 0.23 ms
// direct (oneDNN's own convolution_auto picks Winograd there too, hence our channel rule).

namespace stages::nn {

using dnnl::memory;
using Tag = memory::format_tag;

constexpr int64_t kWinogradMinChannels = 16;

Conv2d::Conv2d(std::string name, const ConvOptions& options, bool transposed)
    : WeightedLayer(std::move(name)), options_(options), transposed_(transposed) {}

Dims Conv2d::OutputShape(const Dims& input) const {
  if (input.size() != 3) {
    throw pipeline::ConfigError("layer " + name_ + " (" + type() +
                                ") needs an image input (C, H, W) but gets " +
                                DimsString(input) + "; add a reshape before it");
  }
  const int64_t k = options_.kernel;
  const int64_t s = options_.stride;
  const int64_t p = options_.pad;
  Dims output = {options_.out_channels, 0, 0};
  for (size_t i = 1; i < 3; ++i) {
    output[i] = transposed_ ? (input[i] - 1) * s - 2 * p + k + options_.output_padding
                            : (input[i] + 2 * p - k) / s + 1;
    if ((!transposed_ && input[i] + 2 * p < k) || output[i] < 1) {
      throw pipeline::ConfigError("layer " + name_ + " (" + type() + ", kernel " +
                                  std::to_string(k) + ", stride " + std::to_string(s) +
                                  ", pad " + std::to_string(p) + ") does not fit input " +
                                  DimsString(input) + ": the output would be empty");
    }
  }
  if (transposed_ && options_.output_padding >= s) {
    throw pipeline::ConfigError("layer " + name_ + ": output_padding must be smaller than stride");
  }
  return output;
}

void Conv2d::Build(Device& device, const memory& input, const memory* input_grad) {
  device_ = &device;
  const Dims in = input.get_desc().dims();
  const Dims out = OutputShape({in[1], in[2], in[3]});
  const Dims src_dims = in;
  const Dims dst_dims = {in[0], out[0], out[1], out[2]};
  CreateParameters({options_.out_channels, in[1], options_.kernel, options_.kernel},
                   options_.bias);
  needs_input_grad_ = input_grad != nullptr;
  if (transposed_) {
    BuildPrimitives<dnnl::deconvolution_forward, dnnl::deconvolution_backward_data,
                    dnnl::deconvolution_backward_weights>(
        dnnl::algorithm::deconvolution_direct, src_dims, dst_dims, input, input_grad,
        dnnl::algorithm::deconvolution_direct);
  } else {
    const bool winograd = options_.algorithm == ConvAlgorithm::kAuto && options_.kernel == 3 &&
                          options_.stride == 1 && in[1] >= kWinogradMinChannels &&
                          options_.out_channels >= kWinogradMinChannels;
    BuildPrimitives<dnnl::convolution_forward, dnnl::convolution_backward_data,
                    dnnl::convolution_backward_weights>(
        dnnl::algorithm::convolution_direct, src_dims, dst_dims, input, input_grad,
        winograd ? dnnl::algorithm::convolution_winograd : dnnl::algorithm::convolution_direct);
  }
}

template <typename Fwd, typename BwdData, typename BwdWeights>
void Conv2d::BuildPrimitives(dnnl::algorithm algorithm, const Dims& src_dims,
                             const Dims& dst_dims, const memory& input,
                             const memory* input_grad, dnnl::algorithm faster) {
  Device& device = *device_;
  const auto f32 = memory::data_type::f32;
  const memory::desc src_any(src_dims, f32, Tag::any);
  const memory::desc dst_any(dst_dims, f32, Tag::any);
  const memory::desc weights_any(weights_->plain_dims(), f32, Tag::any);
  const memory::desc weights_md = weights_->bound()
                                      ? weights_->desc()
                                      : memory::desc(weights_->plain_dims(), f32, Tag::any);
  const memory::desc bias_md = bias_ ? PlainDesc(bias_->plain_dims()) : memory::desc();
  const Dims strides = {options_.stride, options_.stride};
  const Dims padding_l = {options_.pad, options_.pad};
  // Right padding that makes oneDNN's size rule give exactly dst (floor division for the
  // convolution, output_padding for the transposed one).
  Dims padding_r(2);
  for (size_t i = 0; i < 2; ++i) {
    padding_r[i] = transposed_
                       ? (src_dims[i + 2] - 1) * options_.stride + options_.kernel -
                             dst_dims[i + 2] - options_.pad
                       : (dst_dims[i + 2] - 1) * options_.stride + options_.kernel -
                             src_dims[i + 2] - options_.pad;
  }

  // `faster` where oneDNN implements it, `algorithm` otherwise.
  auto first_available = [&](auto make) {
    if (faster != algorithm) {
      if (auto pd = TryPrimitiveDesc([&] { return make(faster); })) return *pd;
    }
    return make(algorithm);
  };
  const typename Fwd::primitive_desc forward_pd = first_available([&](dnnl::algorithm a) {
    return typename Fwd::primitive_desc(
        typename Fwd::desc(dnnl::prop_kind::forward_training, a, src_any, weights_md, bias_md,
                           dst_any, strides, padding_l, padding_r),
        device.engine);
  });
  weights_->Bind(device, forward_pd.weights_desc());
  if (bias_) bias_->Bind(device, bias_md);
  source_.BuildFrom(device, input, forward_pd.src_desc());
  output_ = ZeroedMemory(device, forward_pd.dst_desc());
  output_grad_ = ZeroedMemory(device, forward_pd.dst_desc());
  forward_ = Fwd(forward_pd);

  // One input channel and oneDNN's AVX2 layout: our own weight gradient (see
  // single_channel_conv_grad.h); otherwise oneDNN's primitive.
  single_channel_grad_.reset();
  if (!transposed_ && SingleChannelConvGradApplies(input.get_desc(), forward_pd.dst_desc(),
                                                   options_.kernel, options_.stride)) {
    SingleChannelConvShape shape;
    shape.batch = src_dims[0];
    shape.height = src_dims[2];
    shape.width = src_dims[3];
    shape.out_height = dst_dims[2];
    shape.out_width = dst_dims[3];
    shape.pad = options_.pad;
    shape.channels = dst_dims[1];
    single_channel_grad_ = std::make_unique<SingleChannelConvGrad>(shape);
    BuildOwnWeightGradients();
  } else {
    const typename BwdWeights::primitive_desc weights_pd = first_available([&](dnnl::algorithm a) {
      return typename BwdWeights::primitive_desc(
          typename BwdWeights::desc(a, src_any, weights_any, bias_md, dst_any, strides,
                                    padding_l, padding_r),
          device.engine, forward_pd);
    });
    BuildBackwardWeights(weights_pd, source_.target());
  }

  if (input_grad != nullptr) {
    const typename BwdData::primitive_desc data_pd(
        typename BwdData::desc(algorithm, src_any, weights_any, dst_any, strides, padding_l,
                               padding_r),
        device.engine, forward_pd);
    BuildBackwardData(data_pd, *input_grad);
  }
}

void Conv2d::Forward(bool training) {
  Device& device = *device_;
  source_.Run(device);
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, source_.target()},
                                          {DNNL_ARG_WEIGHTS, weights_->value()},
                                          {DNNL_ARG_DST, output_}};
  if (bias_) args[DNNL_ARG_BIAS] = bias_->value();
  Execute(device, forward_, args);
}

void Conv2d::OwnWeightGradients(float* weights_grad, float* bias_grad) {
  single_channel_grad_->Compute(Data(source_.source()), Data(output_grad_), weights_grad,
                                bias_grad);
}

WeightedLayer::Fans Conv2d::WeightFans() const {
  const Dims& dims = weights_->plain_dims();
  const int64_t receptive = dims[2] * dims[3];
  // For a transposed convolution the roles of the channel counts swap (each input pixel
  // spreads over out_channels * k * k outputs), as in PyTorch's fan computation.
  Fans fans;
  fans.in = (transposed_ ? dims[0] : dims[1]) * receptive;
  fans.out = (transposed_ ? dims[1] : dims[0]) * receptive;
  return fans;
}

}  // namespace stages::nn
