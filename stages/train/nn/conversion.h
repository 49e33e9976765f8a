#pragma once
// Conversion: moves a tensor between two memory layouts with a oneDNN reorder built once, or
// aliases the memory when the layouts already agree (the usual case between layers, since each
// layer asks for the layout its neighbour produces). Layers use it at the few places where a
// primitive wants another layout than the one it is given: the network input (plain NCHW) into
// the first convolution, blocked activations into a reshape, gradients in whatever layout a
// backward primitive picked.
//
// Not thread-safe; the memories involved are owned elsewhere (or by this object when a buffer
// is needed) and must outlive it.

#include "stages/train/nn/device.h"

namespace stages::nn {

class Conversion {
 public:
  // From a fixed `source` to a memory of `target_desc` (allocated here unless it is `source`).
  void BuildFrom(const Device& device, const dnnl::memory& source, const MemoryDesc& target_desc);
  // From a memory of `source_desc` (allocated here unless it is `destination`) into a fixed
  // `destination`.
  void BuildInto(const Device& device, const MemoryDesc& source_desc,
                 const dnnl::memory& destination);

  const dnnl::memory& source() const { return source_; }
  const dnnl::memory& target() const { return target_; }
  bool aliased() const { return !has_reorder_; }

  // Copies source into target; does nothing when they alias.
  void Run(Device& device) const;

 private:
  dnnl::memory source_;
  dnnl::memory target_;
  dnnl::reorder reorder_;
  bool has_reorder_ = false;
};

}  // namespace stages::nn
