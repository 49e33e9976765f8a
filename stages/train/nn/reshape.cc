#include "stages/train/nn/reshape.h"

#include <utility>

#include "pipeline/errors.h"

namespace stages::nn {

using dnnl::memory;

Reshape::Reshape(std::string name, Dims shape) : Layer(std::move(name)), shape_(std::move(shape)) {}

Dims Reshape::OutputShape(const Dims& input) const {
  if (shape_.empty()) return {Product(input)};
  for (const int64_t d : shape_) {
    if (d < 1) {
      throw pipeline::ConfigError("layer " + name_ + " (reshape): shape " + DimsString(shape_) +
                                  " must have positive dimensions");
    }
  }
  if (Product(shape_) != Product(input)) {
    throw pipeline::ConfigError("layer " + name_ + " (reshape) cannot turn input " +
                                DimsString(input) + " (" + std::to_string(Product(input)) +
                                " values) into " + DimsString(shape_) + " (" +
                                std::to_string(Product(shape_)) + " values)");
  }
  return shape_;
}

void Reshape::Build(Device& device, const memory& input, const memory* input_grad) {
  device_ = &device;
  has_input_grad_ = input_grad != nullptr;
  const Dims in = input.get_desc().dims();
  if (keep_layout_) {
    output_ = input;
    output_grad_ = input_grad != nullptr ? *input_grad : ZeroedMemory(device, input.get_desc());
    has_input_grad_ = false;  // the next layer writes input_grad itself
    return;
  }
  Dims out = OutputShape(Dims(in.begin() + 1, in.end()));
  out.insert(out.begin(), in[0]);
  const memory::desc plain_in = PlainDesc(in);
  to_plain_.BuildFrom(device, input, plain_in);
  output_ = memory(PlainDesc(out), device.engine, to_plain_.target().get_data_handle());
  if (input_grad != nullptr) {
    from_plain_.BuildInto(device, plain_in, *input_grad);
    output_grad_ = memory(PlainDesc(out), device.engine, from_plain_.source().get_data_handle());
  } else {
    output_grad_ = ZeroedMemory(device, PlainDesc(out));
  }
}

void Reshape::Forward(bool training) {
  if (keep_layout_) return;
  // Aliasing its input (the network's input, whose data pointer changes with every batch),
  // the output must follow the input's current pointer.
  if (to_plain_.aliased()) output_.set_data_handle(to_plain_.target().get_data_handle());
  to_plain_.Run(*device_);
}

void Reshape::Backward() {
  if (has_input_grad_) from_plain_.Run(*device_);
}

}  // namespace stages::nn
