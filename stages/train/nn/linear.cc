#include "stages/train/nn/linear.h"

#include <utility>

#include "pipeline/errors.h"

namespace stages::nn {

using dnnl::memory;
using Tag = memory::format_tag;

Linear::Linear(std::string name, const LinearOptions& options)
    : Layer(std::move(name)), options_(options) {}

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
  if (!weights_) {
    const int64_t features = Product(in) / in[0];
    weights_ = std::make_unique<ParameterTensor>(name_ + ".weight",
                                                 Dims{options_.out_features, features}, true);
    if (options_.bias) {
      bias_ = std::make_unique<ParameterTensor>(name_ + ".bias", Dims{options_.out_features},
                                                false);
    }
  }
  Dims weight_dims = in;
  weight_dims[0] = options_.out_features;
  const memory::desc weights_any(weight_dims, f32, Tag::any);
  const memory::desc weights_md = weights_->bound() ? weights_->desc() : weights_any;
  const memory::desc bias_md = bias_ ? PlainDesc(bias_->plain_dims()) : memory::desc();
  const memory::desc dst_any({in[0], options_.out_features}, f32, Tag::any);
  const memory::desc src_any(in, f32, Tag::any);

  // The source keeps the layout it comes in (no reorder of the activations); oneDNN picks the
  // weight layout that matches it.
  const dnnl::inner_product_forward::primitive_desc forward_pd(
      dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_training, src_md, weights_md,
                                        bias_md, dst_any),
      device.engine);
  weights_->Bind(device, forward_pd.weights_desc());
  if (bias_) bias_->Bind(device, bias_md);
  forward_ = dnnl::inner_product_forward(forward_pd);
  output_ = ZeroedMemory(device, forward_pd.dst_desc());
  output_grad_ = ZeroedMemory(device, forward_pd.dst_desc());

  const dnnl::inner_product_backward_weights::primitive_desc weights_pd(
      dnnl::inner_product_backward_weights::desc(src_any, weights_any, bias_md, dst_any),
      device.engine, forward_pd);
  backward_weights_ = dnnl::inner_product_backward_weights(weights_pd);
  weights_source_.BuildFrom(device, input, weights_pd.src_desc());
  weights_diff_dst_.BuildFrom(device, output_grad_, weights_pd.diff_dst_desc());
  weights_sink_.Build(device, *weights_, weights_pd.diff_weights_desc());
  if (bias_) bias_sink_.Build(device, *bias_, weights_pd.diff_bias_desc());

  if (input_grad != nullptr) {
    const dnnl::inner_product_backward_data::primitive_desc data_pd(
        dnnl::inner_product_backward_data::desc(src_md, weights_any, dst_any),
        device.engine, forward_pd);
    backward_data_ = dnnl::inner_product_backward_data(data_pd);
    data_diff_dst_.BuildFrom(device, output_grad_, data_pd.diff_dst_desc());
    data_weights_.BuildFrom(device, weights_->value(), data_pd.weights_desc());
    diff_source_.BuildInto(device, data_pd.diff_src_desc(), *input_grad);
  }
}

void Linear::Forward(bool training) {
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, input_},
                                          {DNNL_ARG_WEIGHTS, weights_->value()},
                                          {DNNL_ARG_DST, output_}};
  if (bias_) args[DNNL_ARG_BIAS] = bias_->value();
  Execute(*device_, forward_, args);
}

void Linear::Backward() {
  Device& device = *device_;
  if (needs_input_grad_) {
    data_diff_dst_.Run(device);
    data_weights_.Run(device);
    Execute(device, backward_data_,
            {{DNNL_ARG_DIFF_DST, data_diff_dst_.target()},
             {DNNL_ARG_WEIGHTS, data_weights_.target()},
             {DNNL_ARG_DIFF_SRC, diff_source_.source()}});
    diff_source_.Run(device);
  }
  if (weights_->frozen() && (!bias_ || bias_->frozen())) return;
  weights_source_.Run(device);
  weights_diff_dst_.Run(device);
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, weights_source_.target()},
      {DNNL_ARG_DIFF_DST, weights_diff_dst_.target()},
      {DNNL_ARG_DIFF_WEIGHTS, weights_sink_.Target(device)}};
  if (bias_) args[DNNL_ARG_DIFF_BIAS] = bias_sink_.Target(device);
  Execute(device, backward_weights_, args);
  weights_sink_.Finish(device);
  if (bias_) bias_sink_.Finish(device);
}

std::vector<ParameterTensor*> Linear::Parameters() {
  std::vector<ParameterTensor*> parameters;
  if (weights_) parameters.push_back(weights_.get());
  if (bias_) parameters.push_back(bias_.get());
  return parameters;
}

void Linear::Initialize(const Init& init, pipeline::Rng& rng) {
  const Dims& dims = weights_->plain_dims();
  weights_->ImportPlain(*device_, DrawWeights(init, dims[1], dims[0], Product(dims), rng));
  if (bias_) bias_->ImportPlain(*device_, DrawBiases(init, dims[1], dims[0], rng));
}

}  // namespace stages::nn
