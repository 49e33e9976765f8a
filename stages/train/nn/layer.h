#pragma once
// Layer: one step of a feed-forward network on oneDNN. A layer is created from its options,
// then built for a concrete input memory (batch size included) and run forward and backward
// any number of times with the primitives and buffers made by that build. Rebuilding for
// another batch size keeps the parameters (and their layout) and makes new primitives (cheap
// for shapes seen before: oneDNN caches primitives).
//
// Data flow contract, with N the batch size:
//   - Build(device, input, input_grad): `input` is the previous layer's output() (or the
//     network input); its descriptor, possibly blocked, is the layout this layer reads.
//     `input_grad` (same descriptor as `input`) is where Backward writes d loss / d input, or
//     nullptr when nobody needs it (the first layer), which skips that computation.
//   - Forward(training): reads `input`, writes output(). `training` selects batch statistics
//     and fresh dropout masks.
//   - Backward(): reads output_grad() (filled by the next layer or the network) and the
//     forward pass's saved state, writes input_grad and accumulates parameter gradients.
// Shapes are per example: (C, H, W) for images, (F) for feature vectors.
//
// Not thread-safe; the Device passed to Build must outlive the layer's use.

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pipeline/rng.h"
#include "stages/train/nn/device.h"
#include "stages/train/nn/parameter_tensor.h"

namespace stages::nn {

// Weight initialisation of convolution and linear layers. Biases start at zero, except with
// kTorch.
struct Init {
  enum class Kind { kHe, kXavier, kTorch };
  Kind kind = Kind::kXavier;
  // He only: the negative slope of the following leaky ReLU (0 for ReLU).
  double negative_slope = 0;
};

// Draws `count` weights for a layer with the given fans:
//   He (Kaiming normal; He et al. 2015, "Delving deep into rectifiers"):
//     N(0, 2 / ((1 + a^2) fan_in)), a = negative slope;
//   Xavier (Glorot normal; Glorot & Bengio 2010): N(0, 2 / (fan_in + fan_out));
//   Torch (PyTorch's default for nn.Linear and nn.Conv2d, kaiming_uniform with a = sqrt(5)):
//     U(-1 / sqrt(fan_in), 1 / sqrt(fan_in)).
std::vector<float> DrawWeights(const Init& init, int64_t fan_in, int64_t fan_out, int64_t count,
                               pipeline::Rng& rng);

// Initial biases: zeros, or with kTorch U(-1 / sqrt(fan_in), 1 / sqrt(fan_in)) as PyTorch does;
// drawn after the weights from the same generator.
std::vector<float> DrawBiases(const Init& init, int64_t fan_in, int64_t count, pipeline::Rng& rng);

// A non-trainable tensor that belongs to the model state (batch-norm running statistics).
struct StateBuffer {
  std::string name;
  std::vector<float>* values;
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  // The spec's type name ("conv", "relu", ...).
  virtual std::string type() const = 0;

  // Per-example output shape for a per-example input shape; throws pipeline::ConfigError naming
  // the layer and both shapes when the input does not fit.
  virtual Dims OutputShape(const Dims& input) const = 0;

  virtual void Build(Device& device, const dnnl::memory& input,
                     const dnnl::memory* input_grad) = 0;
  virtual void Forward(bool training) = 0;
  virtual void Backward() = 0;
  // Set: the next Backward calls need not write input_grad (nothing reads it), so a layer may
  // skip that work. Layers that cannot skip it ignore the call.
  virtual void SkipInputGradient(bool skip) {}

  const dnnl::memory& output() const { return output_; }
  const dnnl::memory& output_grad() const { return output_grad_; }

  virtual std::vector<ParameterTensor*> Parameters() { return {}; }
  virtual std::vector<StateBuffer> StateBuffers() { return {}; }
  // Draws fresh weights (layers without weights ignore it). Call after the first Build.
  virtual void Initialize(const Init& init, pipeline::Rng& rng) {}

 protected:
  std::string name_;
  Device* device_ = nullptr;  // set by Build
  dnnl::memory output_;
  dnnl::memory output_grad_;
};

// Executes `primitive` with `args` on the device's stream.
void Execute(Device& device, const dnnl::primitive& primitive,
             const std::unordered_map<int, dnnl::memory>& args);

}  // namespace stages::nn
