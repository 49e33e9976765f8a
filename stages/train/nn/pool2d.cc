#include "stages/train/nn/pool2d.h"

#include <utility>

#include "pipeline/errors.h"

// Implementation notes: a 2x2 stride-2 max pooling of channel-blocked activations runs on our
// own loops (max_pool_2x2.h says why); every other pooling on oneDNN's primitive, whose
// destination takes the source's layout family (e.g. nChw16c), so no reorder is needed before
// or after.

namespace stages::nn {

using dnnl::memory;

Pool2d::Pool2d(std::string name, const PoolOptions& options, bool max)
    : Layer(std::move(name)), options_(options), max_(max) {}

Dims Pool2d::OutputShape(const Dims& input) const {
  if (input.size() != 3) {
    throw pipeline::ConfigError("layer " + name_ + " (" + type() +
                                ") needs an image input (C, H, W) but gets " + DimsString(input));
  }
  if (options_.pad * 2 > options_.kernel) {
    throw pipeline::ConfigError("layer " + name_ + ": pad must be at most half the kernel");
  }
  Dims output = input;
  for (size_t i = 1; i < 3; ++i) {
    if (input[i] + 2 * options_.pad < options_.kernel) {
      throw pipeline::ConfigError("layer " + name_ + " (" + type() + ", kernel " +
                                  std::to_string(options_.kernel) + ") does not fit input " +
                                  DimsString(input) + ": the output would be empty");
    }
    output[i] = (input[i] + 2 * options_.pad - options_.kernel) / stride() + 1;
  }
  return output;
}

void Pool2d::Build(Device& device, const memory& input, const memory* input_grad) {
  device_ = &device;
  input_ = input;
  input_grad_ = input_grad != nullptr ? *input_grad : memory();
  const memory::desc src_md = input.get_desc();
  const Dims in = src_md.dims();
  const Dims out = OutputShape({in[1], in[2], in[3]});
  const Dims dst_dims = {in[0], out[0], out[1], out[2]};
  const Dims kernel = {options_.kernel, options_.kernel};
  const Dims strides = {stride(), stride()};
  const Dims padding_l = {options_.pad, options_.pad};
  Dims padding_r(2);
  for (size_t i = 0; i < 2; ++i) {
    padding_r[i] = (dst_dims[i + 2] - 1) * stride() + options_.kernel - in[i + 2] - options_.pad;
  }
  own_shape_ = MaxPool2x2Shape();
  if (max_ && options_.kernel == 2 && stride() == 2 && options_.pad == 0) {
    own_shape_ = MaxPool2x2ShapeOf(src_md);
  }
  if (own_shape_.planes > 0) {
    const memory::desc dst_md = ChannelBlockedDesc(dst_dims, own_shape_.block);
    output_ = ZeroedMemory(device, dst_md);
    output_grad_ = ZeroedMemory(device, dst_md);
    argmax_.assign(static_cast<size_t>(PhysicalSize(dst_md)), 0);
    return;
  }
  const dnnl::algorithm algorithm =
      max_ ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  const memory::desc dst_any(dst_dims, memory::data_type::f32, memory::format_tag::any);
  const dnnl::pooling_forward::primitive_desc forward_pd(
      dnnl::pooling_forward::desc(dnnl::prop_kind::forward_training, algorithm, src_md, dst_any,
                                  strides, kernel, padding_l, padding_r),
      device.engine);
  forward_ = dnnl::pooling_forward(forward_pd);
  output_ = ZeroedMemory(device, forward_pd.dst_desc());
  output_grad_ = ZeroedMemory(device, forward_pd.dst_desc());
  workspace_ = max_ ? ZeroedMemory(device, forward_pd.workspace_desc()) : memory();
  if (input_grad != nullptr) {
    const dnnl::pooling_backward::primitive_desc backward_pd(
        dnnl::pooling_backward::desc(algorithm, src_md, forward_pd.dst_desc(), strides, kernel,
                                     padding_l, padding_r),
        device.engine, forward_pd);
    backward_ = dnnl::pooling_backward(backward_pd);
  }
}

void Pool2d::Forward(bool training) {
  if (own_shape_.planes > 0) {
    MaxPool2x2Forward(own_shape_, Data(input_), Data(output_), argmax_.data());
    return;
  }
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, input_}, {DNNL_ARG_DST, output_}};
  if (max_) args[DNNL_ARG_WORKSPACE] = workspace_;
  Execute(*device_, forward_, args);
}

void Pool2d::Backward() {
  if (!input_grad_) return;
  if (own_shape_.planes > 0) {
    MaxPool2x2Backward(own_shape_, Data(output_grad_), argmax_.data(), Data(input_grad_));
    return;
  }
  std::unordered_map<int, memory> args = {{DNNL_ARG_DIFF_DST, output_grad_},
                                          {DNNL_ARG_DIFF_SRC, input_grad_}};
  if (max_) args[DNNL_ARG_WORKSPACE] = workspace_;
  Execute(*device_, backward_, args);
}

}  // namespace stages::nn
