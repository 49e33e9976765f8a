#pragma once
// WeightedLayer: what Conv2d (and so ConvTranspose2d) and Linear have in common. Each computes
// y = W x + b with one oneDNN forward primitive and learns through a backward-data and a
// backward-weights primitive of the same family. This base owns the "<name>.weight" and
// "<name>.bias" ParameterTensors (bias optional, shape [out]), the two backward primitives and
// the layout bridges around them, and it implements Backward, Parameters and Initialize.
//
// A subclass, in Build: sets device_ and needs_input_grad_, calls CreateParameters, builds its
// forward primitive (binding the parameters' layouts), then hands the backward primitive
// descriptors to BuildBackwardWeights and, when an input gradient is wanted, BuildBackwardData.
// It runs its own Forward and says how to count its fans (WeightFans).
//
// Not thread-safe (see Layer).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "stages/train/nn/conversion.h"
#include "stages/train/nn/layer.h"

namespace stages::nn {

class WeightedLayer : public Layer {
 public:
  // Input gradient first (when needed), then the weight and bias gradients; frozen layers
  // skip the latter entirely (transfer learning trains faster).
  void Backward() override;
  void SkipInputGradient(bool skip) override { skip_input_grad_ = skip; }
  // The weights, then the bias (none before the first Build).
  std::vector<ParameterTensor*> Parameters() override;
  // Weights from DrawWeights over WeightFans(), then biases from DrawBiases (layer.h).
  void Initialize(const Init& init, pipeline::Rng& rng) override;

 protected:
  explicit WeightedLayer(std::string name) : Layer(std::move(name)) {}

  struct Fans {
    int64_t in = 0;
    int64_t out = 0;
  };
  // The fan-in and fan-out of the weights, as PyTorch counts them for this layer type.
  virtual Fans WeightFans() const = 0;

  // First call only: creates the weights (plain dims `weight_dims`, output count first) and,
  // with `bias`, a bias of weight_dims[0] values. Later builds keep them.
  void CreateParameters(const Dims& weight_dims, bool bias);

  // Makes the backward-weights primitive from `pd` and the bridges it needs: `source` (the
  // forward source, in the layout the forward primitive reads) and output_grad() into the
  // layouts it chose, and its weight and bias gradients into the parameters'.
  void BuildBackwardWeights(const dnnl::primitive_desc& pd, const dnnl::memory& source);
  // Instead of BuildBackwardWeights, for a subclass that computes the weight and bias gradients
  // itself (OwnWeightGradients) in the plain layouts.
  void BuildOwnWeightGradients();
  // With BuildOwnWeightGradients: writes d loss / d weights (plain, weight_dims of
  // CreateParameters) and d loss / d bias (null without bias) for this pass.
  virtual void OwnWeightGradients(float* weights_grad, float* bias_grad) {}

  // Makes the backward-data primitive from `pd`: output_grad() and the weights (reordered every
  // pass) into its layouts, and its diff_src into `input_grad`.
  void BuildBackwardData(const dnnl::primitive_desc& pd, const dnnl::memory& input_grad);

  std::unique_ptr<ParameterTensor> weights_;  // created by the first Build
  std::unique_ptr<ParameterTensor> bias_;     // null without bias
  bool needs_input_grad_ = false;
  bool skip_input_grad_ = false;  // SkipInputGradient

 private:
  Conversion weights_source_;    // forward source -> backward-weights source layout
  Conversion weights_diff_dst_;  // output_grad -> backward-weights diff_dst layout
  Conversion data_diff_dst_;     // output_grad -> backward-data diff_dst layout
  Conversion data_weights_;      // weights -> backward-data weights layout (every pass)
  Conversion diff_source_;       // backward-data diff_src layout -> input_grad
  GradientSink weights_sink_;    // backward-weights layout -> weights gradient
  GradientSink bias_sink_;
  dnnl::primitive backward_data_;
  dnnl::primitive backward_weights_;
  bool own_weight_gradients_ = false;  // BuildOwnWeightGradients
};

}  // namespace stages::nn
