#pragma once
// Network: a feed-forward network on oneDNN, built from a study's list of layer specs
// (layer_spec.h lists the types and keys) and a per-example input shape. It owns its layers,
// the oneDNN engine and stream, every activation and gradient buffer, and the parameters.
//
// Typical training step (the train stage's loop):
//   Network net(spec, options);                 // after omp_set_num_threads(threads)
//   net.SeedDropout(rng.Fork(epoch));           // once per epoch: masks depend on the seed only
//   for each batch:
//     net.ZeroGrad();
//     const float* logits = net.Forward(x, batch, /*training=*/true);   // [batch, classes]
//     double loss = SoftmaxCrossEntropy(logits, y, batch, classes, grad.data());
//     net.Backward(grad.data());                 // accumulates into Parameters()[k].grad
//     optimiser.Step(net.Parameters());          // element-wise, layout-agnostic
//   evaluation: net.Forward(x, batch, /*training=*/false)  (running batch-norm stats, no dropout)
//
// Buffers and primitives are made once per batch size: a call with another batch size
// (e.g. the last, partial batch of an epoch, or a larger evaluation batch) rebuilds them,
// keeping parameters, their layout and gradients. oneDNN's primitive cache makes switching back
// and forth cheap: for S8's CNN a switch to a batch size seen before cost 20-30 ms of wall time on
// a heavily loaded 2-core machine where one training step took 140 ms (a few ms unloaded); the
// first build of a new shape JIT-compiles kernels (about 0.1 s). So a partial last batch per
// epoch is fine; no need to drop or pad it. Parameter layouts are fixed by the first build (the
// batch size in NetworkOptions).
//
// Determinism: initial weights come from Rng(seed).Fork(0).Fork(layer index), drawn in plain
// layout (so they do not depend on the CPU's blocked layout), and dropout masks from the
// streams set by SeedDropout (default Rng(seed).Fork(1)). With the same seed and thread count
// results are identical run to run. oneDNN's backward-weights reductions are split by thread,
// so gradients (and the training trajectory) may differ in the last bits across thread counts;
// forward passes do not reduce across threads.
//
// Not thread-safe. oneDNN sizes its kernels for the OpenMP thread count at build time, so set
// omp_set_num_threads before constructing the network (the executor does).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/rng.h"
#include "pipeline/tensor.h"
#include "stages/train/nn/device.h"
#include "stages/train/nn/layer.h"
#include "stages/train/nn/layer_spec.h"
#include "stages/train/parameter_view.h"

namespace stages::nn {

struct NetworkOptions {
  // Per-example input shape: {C, H, W} for images (the input is NCHW), {F} for vectors.
  Dims input_shape;
  // Seeds the initial weights and the default dropout streams.
  uint64_t seed = 0;
  // Default initialisation for conv/linear layers without their own `init` key.
  InitChoice init = InitChoice::kAuto;
  // Batch size of the first build; it fixes the parameters' layouts (default 100).
  int64_t batch = 100;
  // Also compute d loss / d input in Backward (InputGrad()); off in training, where nothing
  // reads it (default false).
  bool input_gradient = false;
};

// One row of Network::Summary().
struct LayerInfo {
  std::string name;
  std::string type;
  Dims output_shape;       // per example
  int64_t parameters = 0;  // trainable values (plain count)
};

class Network {
 public:
  // Parses `layers` (a JSON list), infers every shape from options.input_shape, builds for
  // options.batch and initialises. Throws pipeline::ConfigError for bad specs and for shapes
  // that do not fit (naming the layer and the shapes).
  Network(const nlohmann::json& layers, const NetworkOptions& options);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const Dims& input_shape() const { return input_shape_; }
  const Dims& output_shape() const { return output_shape_; }  // per example, e.g. {10}
  int64_t input_size() const { return Product(input_shape_); }
  int64_t output_size() const { return Product(output_shape_); }
  int64_t batch() const { return batch_; }  // batch size of the current build
  std::vector<LayerInfo> Summary() const;

  // Runs the network on `input` ([batch, input_shape...] plain row-major, not copied, must stay
  // valid until the call returns) and returns the output [batch, output_shape...] plain, valid
  // until the next Forward. `training` selects batch statistics and dropout.
  const float* Forward(const float* input, int64_t batch, bool training);

  // Back-propagates d loss / d output ([batch, output_shape...] plain, for the last Forward,
  // which must have been a training pass when the network has batch norm or dropout) and adds
  // the parameter gradients to the gradient buffers. With NetworkOptions::input_gradient, the
  // input gradient too, unless `input_gradient` is false for this call (a GAN's discriminator
  // step, which needs only its weights' gradients).
  void Backward(const float* output_grad, bool input_gradient = true);

  // d loss / d input of the last Backward, plain [batch, input_shape...]; only with
  // NetworkOptions::input_gradient (else nullptr).
  const float* InputGrad() const;

  // Sets every gradient to zero; the next Backward then writes instead of adding.
  void ZeroGrad();

  // Views of all trainable tensors, in layer order (weight before bias). Stable while the
  // network lives (rebuilds for another batch size keep them).
  std::vector<ParameterView> Parameters();

  // Converts a buffer laid out like Parameters()[index].value (e.g. Adam's moment estimates)
  // to the plain layout of StateDict()'s tensor of that name, and back; for portable optimiser
  // checkpoints. ParameterFromPlain writes zeros into the padding of blocked
  // layouts, which is what it holds anyway.
  std::vector<float> ParameterToPlain(size_t index, const float* physical);
  void ParameterFromPlain(size_t index, const std::vector<float>& plain, float* physical);

  // Freezes (or unfreezes) the parameters of the named layer; "*" means every layer. Throws
  // pipeline::ConfigError for an unknown name, listing the layer names. Frozen layers skip
  // their weight-gradient computation.
  void SetFrozen(const std::string& layer_name, bool frozen);

  // The model state in plain layout: every parameter ("conv1.weight" [out, C, k, k],
  // "linear1.weight" [out, in], "*.bias", "*.gamma", "*.beta") and state buffer
  // ("*.running_mean", "*.running_var"), as float32 tensors.
  std::map<std::string, pipeline::Tensor> StateDict();
  // Loads tensors by name. strict: every entry of the network must be present with its shape
  // and no extra names may appear (else pipeline::StageError listing them). Not strict: loads
  // the entries whose name and shape match and returns their names (transfer learning).
  std::vector<std::string> LoadStateDict(const std::map<std::string, pipeline::Tensor>& state,
                                         bool strict = true);

  // Gives dropout layer k the stream rng.Fork(k) (k counts dropout layers from 0), and
  // gaussian_sample layer k the stream rng.Fork(2^20 + k).
  void SeedDropout(const pipeline::Rng& rng);
  // The first layer of spec type `type`, or nullptr.
  const Layer* FindLayerOfType(const std::string& type) const;

  // The named layer's output of the last Forward, plain [batch, shape...] (e.g. the latent
  // vectors of an autoencoder's bottleneck). Throws ConfigError for an unknown name.
  std::vector<float> LayerOutput(const std::string& layer_name);

  // Runs only the layers after `layer_name` in inference mode, as if that layer had output
  // `values` ([batch, its shape...] plain; batch must be the network's current batch size) —
  // a VAE's decoder on chosen latent vectors. Returns the network's output as Forward does.
  const float* ForwardAfter(const std::string& layer_name, const float* values, int64_t batch);
  // Per-example output shape of the named layer.
  Dims LayerOutputShape(const std::string& layer_name) const;

 private:
  ParameterTensor& ParameterAt(size_t index);
  void Build(int64_t batch);
  size_t LayerIndex(const std::string& layer_name) const;
  // The layer at position `position` of the run order.
  Layer& Run(size_t position) const { return *layers_[order_[position]]; }
  // Where layer `index` (user order) runs.
  size_t RunPosition(size_t index) const;
  // The layer (user order) whose output() holds the named layer's output; throws ConfigError
  // for a layer whose output is not kept (see network.cc on the run order).
  size_t HolderOfOutput(const std::string& layer_name) const;
  Init ResolveInit(size_t index, InitChoice choice) const;

  Device device_;
  Dims input_shape_;
  Dims output_shape_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Dims> shapes_;  // per-example output shape of each layer
  // The order the layers run in, as indices into layers_: the user's, except that a ReLU
  // followed by a max pooling runs after it (see network.cc).
  std::vector<size_t> order_;
  int64_t batch_ = 0;

  bool input_gradient_ = false;
  // The first layer with parameters (a position in order_): where a backward pass without the
  // input gradient stops.
  size_t first_with_parameters_ = 0;
  dnnl::memory input_;        // plain input, pointing at the caller's buffer during Forward
  dnnl::memory input_grad_;   // plain, with input_gradient_ only
  dnnl::memory output_;       // plain output returned by Forward
  dnnl::reorder output_reorder_;
  bool output_aliased_ = false;
  dnnl::memory output_grad_;  // plain view of the caller's gradient during Backward
  dnnl::reorder output_grad_reorder_;
  bool output_grad_aliased_ = false;
};

}  // namespace stages::nn
