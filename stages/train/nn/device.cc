#include "stages/train/nn/device.h"

#include <cstring>
#include <string>

namespace stages::nn {

MemoryDesc PlainDesc(const Dims& dims) {
  // Row-major strides, innermost dimension last.
  Dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) {
    strides[static_cast<size_t>(i)] = strides[static_cast<size_t>(i) + 1] * dims[static_cast<size_t>(i) + 1];
  }
  return MemoryDesc(dims, dnnl::memory::data_type::f32, strides);
}

int64_t Product(const Dims& dims) {
  int64_t product = 1;
  for (const int64_t d : dims) product *= d;
  return product;
}

std::string DimsString(const Dims& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(dims[i]);
  }
  return text + "]";
}

int64_t PhysicalSize(const MemoryDesc& desc) {
  return static_cast<int64_t>(desc.get_size() / sizeof(float));
}

MemoryDesc ChannelBlockedDesc(const Dims& dims, int block) {
  return MemoryDesc(dims, dnnl::memory::data_type::f32,
                    block == 8 ? dnnl::memory::format_tag::nChw8c
                               : dnnl::memory::format_tag::nChw16c);
}

int ChannelBlock(const MemoryDesc& desc) {
  const Dims dims = desc.dims();
  if (dims.size() != 4) return 0;
  for (const int block : {8, 16}) {
    if (desc == ChannelBlockedDesc(dims, block)) return block;
  }
  return 0;
}

dnnl::memory ZeroedMemory(const Device& device, const MemoryDesc& desc) {
  dnnl::memory memory(desc, device.engine);
  std::memset(memory.get_data_handle(), 0, desc.get_size());
  return memory;
}

}  // namespace stages::nn
