#include "stages/train/nn/weighted_layer.h"

#include <unordered_map>

// Implementation notes: the backward primitives choose every layout themselves (format any;
// see conv2d.cc for why forcing the forward layouts is slow), so both gradients pass through
// Conversions, which alias in the usual case, and the weight gradient through a GradientSink.
// The primitive descriptors are taken as dnnl::primitive_desc: the family-specific accessors
// (src_desc(), diff_bias_desc(), ...) are the generic queries with index 0 (1 for the bias).

namespace stages::nn {

using dnnl::memory;

void WeightedLayer::CreateParameters(const Dims& weight_dims, bool bias) {
  if (weights_) return;
  weights_ = std::make_unique<ParameterTensor>(name_ + ".weight", weight_dims, true);
  if (bias) {
    bias_ = std::make_unique<ParameterTensor>(name_ + ".bias", Dims{weight_dims[0]}, false);
  }
}

void WeightedLayer::BuildBackwardWeights(const dnnl::primitive_desc& pd, const memory& source) {
  Device& device = *device_;
  own_weight_gradients_ = false;
  backward_weights_ = dnnl::primitive(pd);
  weights_source_.BuildFrom(device, source, pd.src_desc(0));
  weights_diff_dst_.BuildFrom(device, output_grad_, pd.diff_dst_desc(0));
  weights_sink_.Build(device, *weights_, pd.diff_weights_desc(0));
  if (bias_) bias_sink_.Build(device, *bias_, pd.diff_weights_desc(1));
}

void WeightedLayer::BuildOwnWeightGradients() {
  Device& device = *device_;
  own_weight_gradients_ = true;
  weights_sink_.Build(device, *weights_, PlainDesc(weights_->plain_dims()));
  if (bias_) bias_sink_.Build(device, *bias_, PlainDesc(bias_->plain_dims()));
}

void WeightedLayer::BuildBackwardData(const dnnl::primitive_desc& pd, const memory& input_grad) {
  Device& device = *device_;
  backward_data_ = dnnl::primitive(pd);
  data_diff_dst_.BuildFrom(device, output_grad_, pd.diff_dst_desc(0));
  data_weights_.BuildFrom(device, weights_->value(), pd.weights_desc(0));
  diff_source_.BuildInto(device, pd.diff_src_desc(0), input_grad);
}

void WeightedLayer::Backward() {
  Device& device = *device_;
  if (needs_input_grad_ && !skip_input_grad_) {
    data_diff_dst_.Run(device);
    data_weights_.Run(device);
    Execute(device, backward_data_,
            {{DNNL_ARG_DIFF_DST, data_diff_dst_.target()},
             {DNNL_ARG_WEIGHTS, data_weights_.target()},
             {DNNL_ARG_DIFF_SRC, diff_source_.source()}});
    diff_source_.Run(device);
  }
  if (weights_->frozen() && (!bias_ || bias_->frozen())) return;
  if (own_weight_gradients_) {
    OwnWeightGradients(Data(weights_sink_.Target(device)),
                       bias_ ? Data(bias_sink_.Target(device)) : nullptr);
    weights_sink_.Finish(device);
    if (bias_) bias_sink_.Finish(device);
    return;
  }
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

std::vector<ParameterTensor*> WeightedLayer::Parameters() {
  std::vector<ParameterTensor*> parameters;
  if (weights_) parameters.push_back(weights_.get());
  if (bias_) parameters.push_back(bias_.get());
  return parameters;
}

void WeightedLayer::Initialize(const Init& init, pipeline::Rng& rng) {
  const Dims& dims = weights_->plain_dims();
  const Fans fans = WeightFans();
  weights_->ImportPlain(*device_, DrawWeights(init, fans.in, fans.out, Product(dims), rng));
  if (bias_) bias_->ImportPlain(*device_, DrawBiases(init, fans.in, dims[0], rng));
}

}  // namespace stages::nn
