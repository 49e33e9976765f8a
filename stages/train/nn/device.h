#pragma once
// Device: the oneDNN engine and stream one network runs on. oneDNN's CPU engine executes
// primitives synchronously on the calling thread's OpenMP team, so one stream per network is
// enough; the number of threads is whatever omp_set_num_threads set before the primitives were
// created (the executor does that from the stage's thread share).
//
// Not thread-safe: a network and its device are used by one thread at a time.

#include <cstring>
#include <optional>

#include <oneapi/dnnl/dnnl.hpp>

namespace stages::nn {

struct Device {
  Device() : engine(dnnl::engine::kind::cpu, 0), stream(engine) {}
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  dnnl::engine engine;
  dnnl::stream stream;
};

using Dims = dnnl::memory::dims;
using MemoryDesc = dnnl::memory::desc;

// Row-major ("plain") float32 descriptor of the given dimensions: nchw, nc, oihw, x, ...
MemoryDesc PlainDesc(const Dims& dims);

// Number of elements of `dims` (1 for no dimensions).
int64_t Product(const Dims& dims);

// "[2, 3, 4]", for error messages.
std::string DimsString(const Dims& dims);

// The f32 descriptor of 4-D `dims` in nChw8c or nChw16c (`block` 8 or 16): the channel-blocked
// layouts oneDNN's convolutions produce with AVX2 and with AVX-512.
MemoryDesc ChannelBlockedDesc(const Dims& dims, int block);
// 8 or 16 when `desc` is ChannelBlockedDesc(desc.dims(), 8 or 16), else 0.
int ChannelBlock(const MemoryDesc& desc);

// Number of floats a memory of this descriptor holds, padding included.
int64_t PhysicalSize(const MemoryDesc& desc);

// The float buffer behind a CPU memory object.
inline float* Data(const dnnl::memory& memory) {
  return static_cast<float*>(memory.get_data_handle());
}

// A memory of `desc` with zeroed contents (zero padding matters for blocked layouts).
dnnl::memory ZeroedMemory(const Device& device, const MemoryDesc& desc);

// The primitive descriptor `make()` returns, or nothing when oneDNN has no implementation for
// what it asks (layouts a layer would like to force, say).
template <typename Make>
auto TryPrimitiveDesc(Make make) -> std::optional<decltype(make())> {
  try {
    return make();
  } catch (const dnnl::error& error) {
    if (error.status != dnnl_unimplemented) throw;
    return std::nullopt;
  }
}

// Whether `candidate` exists and runs the same oneDNN implementation as `reference` (so forcing
// a layout did not fall back to a slower kernel).
template <typename Candidate, typename Reference>
bool SameKernel(const std::optional<Candidate>& candidate, const Reference& reference) {
  return candidate && std::strcmp(candidate->impl_info_str(), reference.impl_info_str()) == 0;
}

}  // namespace stages::nn
