#include "stages/train/nn/parameter_tensor.h"

#include <cstring>
#include <utility>

#include "pipeline/errors.h"

namespace stages::nn {

ParameterTensor::ParameterTensor(std::string name, Dims plain_dims, bool is_weight)
    : name_(std::move(name)), plain_dims_(std::move(plain_dims)), is_weight_(is_weight) {}

void ParameterTensor::Bind(const Device& device, const MemoryDesc& desc) {
  if (bound_) {
    if (desc != desc_) {
      throw pipeline::StageError("parameter " + name_ +
                                 ": a rebuilt primitive wants another weight layout");
    }
    return;
  }
  desc_ = desc;
  value_ = ZeroedMemory(device, desc);
  grad_ = ZeroedMemory(device, desc);
  bound_ = true;
  grad_zeroed_ = true;
}

const dnnl::memory& ParameterTensor::GradientTarget(const Device& device) {
  used_scratch_ = !grad_zeroed_;
  if (!used_scratch_) return grad_;
  if (!scratch_) scratch_ = ZeroedMemory(device, desc_);
  return scratch_;
}

void ParameterTensor::FinishGradient() {
  if (used_scratch_) {
    float* grad = Data(grad_);
    const float* scratch = Data(scratch_);
    const int64_t size = PhysicalSize(desc_);
    for (int64_t i = 0; i < size; ++i) grad[i] += scratch[i];
  }
  grad_zeroed_ = false;
  used_scratch_ = false;
}

void ParameterTensor::ZeroGrad() {
  if (!bound_) return;
  std::memset(grad_.get_data_handle(), 0, desc_.get_size());
  grad_zeroed_ = true;
}

std::vector<float> ParameterTensor::ExportPlain(Device& device) const {
  return ToPlain(device, Data(value_));
}

void ParameterTensor::ImportPlain(Device& device, const std::vector<float>& values) {
  FromPlain(device, values, Data(value_));
}

std::vector<float> ParameterTensor::ToPlain(Device& device, const float* physical) const {
  std::vector<float> values(static_cast<size_t>(Product(plain_dims_)));
  // A plain descriptor of the primitive's own dimensions: its row-major order is the plain
  // order of plain_dims_ too (e.g. [out, c, h, w] flattens to [out, c*h*w]).
  dnnl::memory plain(PlainDesc(desc_.dims()), device.engine, values.data());
  dnnl::memory source(desc_, device.engine, const_cast<float*>(physical));
  dnnl::reorder(source, plain).execute(device.stream, source, plain);
  device.stream.wait();
  return values;
}

void ParameterTensor::FromPlain(Device& device, const std::vector<float>& values,
                                float* physical) const {
  if (static_cast<int64_t>(values.size()) != Product(plain_dims_)) {
    throw pipeline::StageError("parameter " + name_ + " has shape " + DimsString(plain_dims_) +
                               " (" + std::to_string(Product(plain_dims_)) +
                               " values) but the imported tensor has " +
                               std::to_string(values.size()) + " values");
  }
  std::vector<float> copy = values;
  dnnl::memory plain(PlainDesc(desc_.dims()), device.engine, copy.data());
  dnnl::memory target(desc_, device.engine, physical);
  dnnl::reorder(plain, target).execute(device.stream, plain, target);
  device.stream.wait();
}

ParameterView ParameterTensor::View() {
  ParameterView view;
  view.name = name_;
  view.value = Data(value_);
  view.grad = Data(grad_);
  view.size = PhysicalSize(desc_);
  view.is_weight = is_weight_;
  view.frozen = frozen_;
  return view;
}

void GradientSink::Build(const Device& device, ParameterTensor& parameter,
                         const MemoryDesc& primitive_desc) {
  parameter_ = &parameter;
  has_reorder_ = primitive_desc != parameter.desc();
  if (!has_reorder_) return;
  buffer_ = ZeroedMemory(device, primitive_desc);
  reorder_ = dnnl::reorder(buffer_, parameter.grad());
}

const dnnl::memory& GradientSink::Target(const Device& device) {
  current_ = parameter_->GradientTarget(device);
  return has_reorder_ ? buffer_ : current_;
}

void GradientSink::Finish(Device& device) {
  if (has_reorder_) reorder_.execute(device.stream, buffer_, current_);
  parameter_->FinishGradient();
}

}  // namespace stages::nn
