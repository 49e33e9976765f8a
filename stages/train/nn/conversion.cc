#include "stages/train/nn/conversion.h"

namespace stages::nn {

void Conversion::BuildFrom(const Device& device, const dnnl::memory& source,
                           const MemoryDesc& target_desc) {
  source_ = source;
  has_reorder_ = source.get_desc() != target_desc;
  if (!has_reorder_) {
    target_ = source;
    return;
  }
  target_ = ZeroedMemory(device, target_desc);
  reorder_ = dnnl::reorder(source_, target_);
}

void Conversion::BuildInto(const Device& device, const MemoryDesc& source_desc,
                           const dnnl::memory& destination) {
  target_ = destination;
  has_reorder_ = destination.get_desc() != source_desc;
  if (!has_reorder_) {
    source_ = destination;
    return;
  }
  source_ = ZeroedMemory(device, source_desc);
  reorder_ = dnnl::reorder(source_, target_);
}

void Conversion::Run(Device& device) const {
  if (!has_reorder_) return;
  // Reorders take their memories as arguments, so the same primitive serves every batch.
  dnnl::memory source = source_;
  dnnl::memory target = target_;
  reorder_.execute(device.stream, source, target);
}

}  // namespace stages::nn
