#pragma once
// ParameterTensor: one trainable tensor of a layer (weights, bias, batch-norm scale or shift).
// Values and gradients live in oneDNN memories of the layout the layer's primitives chose
// (possibly blocked, e.g. OIhw16i16o), fixed the first time the layer is built; later builds
// for other batch sizes ask for the same layout. Export and import go through the plain
// row-major layout of `plain_dims` (oihw for convolutions, [out, in] for linear layers), so
// checkpoints do not depend on the CPU the network ran on.
//
// Gradients accumulate: a backward pass adds to grad() unless ZeroGrad() ran since the last
// one, in which case the primitive writes grad() directly (the common case costs no extra pass).
// Not thread-safe.

#include <string>
#include <vector>

#include "stages/train/nn/device.h"
#include "stages/train/parameter_view.h"

namespace stages::nn {

class ParameterTensor {
 public:
  ParameterTensor(std::string name, Dims plain_dims, bool is_weight);

  const std::string& name() const { return name_; }
  const Dims& plain_dims() const { return plain_dims_; }
  bool is_weight() const { return is_weight_; }
  bool frozen() const { return frozen_; }
  void set_frozen(bool frozen) { frozen_ = frozen; }

  // Fixes the layout (first call: allocates zeroed value and gradient); later calls with
  // another descriptor throw StageError. bound() says whether a layout is fixed.
  void Bind(const Device& device, const MemoryDesc& desc);
  bool bound() const { return bound_; }
  const MemoryDesc& desc() const { return desc_; }

  const dnnl::memory& value() const { return value_; }
  const dnnl::memory& grad() const { return grad_; }

  // The memory a backward primitive should write this tensor's gradient into; call
  // FinishGradient() after the primitive ran.
  const dnnl::memory& GradientTarget(const Device& device);
  void FinishGradient();
  void ZeroGrad();

  std::vector<float> ExportPlain(Device& device) const;
  // `values` holds Product(plain_dims()) floats in plain order; throws StageError otherwise.
  void ImportPlain(Device& device, const std::vector<float>& values);

  // The same conversions for any buffer laid out like the values (PhysicalSize(desc()) floats),
  // e.g. an optimiser's moment estimates, so they can be checkpointed portably.
  std::vector<float> ToPlain(Device& device, const float* physical) const;
  void FromPlain(Device& device, const std::vector<float>& values, float* physical) const;

  // The optimiser's view (flat, physical layout; size includes zero padding of blocked
  // layouts, which stays zero under element-wise updates).
  ParameterView View();

 private:
  std::string name_;
  Dims plain_dims_;
  bool is_weight_;
  bool frozen_ = false;
  bool bound_ = false;
  MemoryDesc desc_;
  dnnl::memory value_;
  dnnl::memory grad_;
  dnnl::memory scratch_;       // allocated on the first accumulating backward pass
  bool grad_zeroed_ = true;    // grad_ holds zeros, so the next gradient can be written over it
  bool used_scratch_ = false;
};

// GradientSink: where a backward-weights primitive writes one parameter's gradient. The
// primitive may prefer another layout than the values' (oneDNN's fastest backward kernels often
// do); the sink then gives it a buffer of its own layout and reorders the result into the
// parameter's gradient, so ParameterView's "same layout" contract holds. Not thread-safe.
class GradientSink {
 public:
  void Build(const Device& device, ParameterTensor& parameter, const MemoryDesc& primitive_desc);
  // The memory to pass as DNNL_ARG_DIFF_WEIGHTS / DIFF_BIAS / DIFF_SCALE ... for this pass.
  const dnnl::memory& Target(const Device& device);
  // After the primitive ran: reorders if needed and completes the accumulation.
  void Finish(Device& device);

 private:
  ParameterTensor* parameter_ = nullptr;
  dnnl::memory buffer_;     // in the primitive's layout, when it differs
  dnnl::memory current_;    // the parameter memory this pass accumulates into
  dnnl::reorder reorder_;
  bool has_reorder_ = false;
};

}  // namespace stages::nn
