#pragma once
// Reshape: reinterprets each example's tensor with another shape of the same size, in plain
// row-major (C, H, W) order, as PyTorch's view does. Spec types:
//   flatten             (C, H, W) -> (C*H*W)
//   reshape, key shape  e.g. (F) -> (C, H, W) with shape [C, H, W] (decoders)
// A blocked input is reordered to plain first (and its gradient back). When a flatten feeds a
// linear layer the network sets keep_layout: the layer then passes the input through untouched
// (output() is the input memory, 4-D and possibly blocked), because the inner product reads
// image tensors directly.

#include <string>

#include "stages/train/nn/conversion.h"
#include "stages/train/nn/layer.h"

namespace stages::nn {

class Reshape : public Layer {
 public:
  // `shape` empty means flatten.
  Reshape(std::string name, Dims shape);

  std::string type() const override { return shape_.empty() ? "flatten" : "reshape"; }
  Dims OutputShape(const Dims& input) const override;
  void Build(Device& device, const dnnl::memory& input, const dnnl::memory* input_grad) override;
  void Forward(bool training) override;
  void Backward() override;

  void set_keep_layout(bool keep_layout) { keep_layout_ = keep_layout; }

 private:
  Dims shape_;
  bool keep_layout_ = false;
  bool has_input_grad_ = false;
  Conversion to_plain_;    // input -> plain input-shaped buffer (output_ views it)
  Conversion from_plain_;  // plain gradient (output_grad_ views it) -> input_grad
};

}  // namespace stages::nn
