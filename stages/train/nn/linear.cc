#include "stages/train/nn/linear.h"

#include <unordered_map>
#include <utility>

#include "pipeline/errors.h"

namespace stages::nn {

using dnnl::memory;
using Tag = memory::format_tag;

namespace {

dnnl::inner_product_forward::primitive_desc ForwardDesc(const Device& device,
                                                        const memory::desc& src,
                                                        const memory::desc& weights,
                                                        const memory::desc& bias,
                                                        const memory::desc& dst) {
  return dnnl::inner_product_forward::primitive_desc(
      dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_training, src, weights, bias,
                                        dst),
      device.engine);
}

// The first build's weight layout. The forward and backward-data primitives may prefer
// different ones (for a blocked 4-D source, e.g. BcdA16b600a and aBcd16b), and then every pass
// reorders the weights for backward-data (0.5 ms a batch for S8's 2304 x 600 layer). So: the
// layout backward-data prefers, when the forward primitive runs the same kernel with it;
// otherwise the forward's own.
memory::desc SharedWeightsDesc(const Device& device, const memory::desc& src,
                               const memory::desc& weights_any, const memory::desc& bias,
                               const memory::desc& dst_any) {
  const auto forward_pd = ForwardDesc(device, src, weights_any, bias, dst_any);
  const dnnl::inner_product_backward_data::primitive_desc data_pd(
      dnnl::inner_product_backward_data::desc(src, weights_any, dst_any), device.engine,
      forward_pd);
  if (data_pd.weights_desc() == forward_pd.weights_desc()) return forward_pd.weights_desc();
  const auto forced_pd =
      TryPrimitiveDesc([&] {
        return ForwardDesc(device, src, data_pd.weights_desc(), bias, dst_any);
      });
  return SameKernel(forced_pd, forward_pd) ? data_pd.weights_desc() : forward_pd.weights_desc();
}

}  // namespace

Linear::Linear(std::string name, const LinearOptions& options)
    : WeightedLayer(std::move(name)), options_(options) {}

Dims Linear::OutputShape(const Dims& input) const {
  if (input.size() != 1) {
    throw pipeline::ConfigError("layer " + name_ +
                                " (linear) needs a feature vector input but gets " +
                                DimsString(input) + "; add {type: flatten} before it");
  }
  return {options_.out_features};
}

void Linear::Build(Device& device, const memory& input, const memory* input_grad) {
  device_ = &device;
  input_ = input;
  needs_input_grad_ = input_grad != nullptr;
  const memory::desc src_md = input.get_desc();
  const Dims in = src_md.dims();
  const auto f32 = memory::data_type::f32;
  CreateParameters({options_.out_features, Product(in) / in[0]}, options_.bias);
  Dims weight_dims = in;
  weight_dims[0] = options_.out_features;
  const memory::desc weights_any(weight_dims, f32, Tag::any);
  const memory::desc bias_md = bias_ ? PlainDesc(bias_->plain_dims()) : memory::desc();
  const memory::desc dst_any({in[0], options_.out_features}, f32, Tag::any);
  const memory::desc src_any(in, f32, Tag::any);

  // The source keeps the layout it comes in (no reorder of the activations); oneDNN picks the
  // weight layout that matches it.
  const memory::desc chosen_weights_md =
      weights_->bound() ? weights_->desc()
                        : SharedWeightsDesc(device, src_md, weights_any, bias_md, dst_any);
  const dnnl::inner_product_forward::primitive_desc forward_pd = ForwardDesc(
      device, src_md, chosen_weights_md, bias_md, dst_any);
  weights_->Bind(device, forward_pd.weights_desc());
  if (bias_) bias_->Bind(device, bias_md);
  forward_ = dnnl::inner_product_forward(forward_pd);
  output_ = ZeroedMemory(device, forward_pd.dst_desc());
  output_grad_ = ZeroedMemory(device, forward_pd.dst_desc());

  // The weight gradient in the forward layouts (source, weights, output gradient) when oneDNN
  // runs the same kernel with them, so neither the activations nor the gradient are reordered
  // every pass; otherwise in the layouts it picks.
  const dnnl::inner_product_backward_weights::primitive_desc free_weights_pd(
      dnnl::inner_product_backward_weights::desc(src_any, weights_any, bias_md, dst_any),
      device.engine, forward_pd);
  const auto forward_layouts_pd = TryPrimitiveDesc([&] {
    return dnnl::inner_product_backward_weights::primitive_desc(
        dnnl::inner_product_backward_weights::desc(src_md, forward_pd.weights_desc(), bias_md,
                                                   forward_pd.dst_desc()),
        device.engine, forward_pd);
  });
  BuildBackwardWeights(SameKernel(forward_layouts_pd, free_weights_pd) ? *forward_layouts_pd
                                                                      : free_weights_pd,
                       input);

  if (input_grad != nullptr) {
    const dnnl::inner_product_backward_data::primitive_desc data_pd(
        dnnl::inner_product_backward_data::desc(src_md, weights_any, dst_any),
        device.engine, forward_pd);
    BuildBackwardData(data_pd, *input_grad);
  }
}

void Linear::Forward(bool training) {
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, input_},
                                          {DNNL_ARG_WEIGHTS, weights_->value()},
                                          {DNNL_ARG_DST, output_}};
  if (bias_) args[DNNL_ARG_BIAS] = bias_->value();
  Execute(*device_, forward_, args);
}

WeightedLayer::Fans Linear::WeightFans() const {
  const Dims& dims = weights_->plain_dims();
  Fans fans;
  fans.in = dims[1];
  fans.out = dims[0];
  return fans;
}

}  // namespace stages::nn
