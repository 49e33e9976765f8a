#include "stages/train/nn/layer.h"

#include <cmath>

namespace stages::nn {

std::vector<float> DrawWeights(const Init& init, int64_t fan_in, int64_t fan_out, int64_t count,
                               pipeline::Rng& rng) {
  std::vector<float> weights(static_cast<size_t>(count));
  if (init.kind == Init::Kind::kTorch) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    for (float& w : weights) w = static_cast<float>(rng.Uniform(-bound, bound));
    return weights;
  }
  double stddev = 0;
  if (init.kind == Init::Kind::kHe) {
    const double a = init.negative_slope;
    stddev = std::sqrt(2.0 / ((1.0 + a * a) * static_cast<double>(fan_in)));
  } else {
    stddev = std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  }
  for (float& w : weights) w = static_cast<float>(rng.Normal(0.0, stddev));
  return weights;
}

std::vector<float> DrawBiases(const Init& init, int64_t fan_in, int64_t count, pipeline::Rng& rng) {
  std::vector<float> biases(static_cast<size_t>(count), 0.0f);
  if (init.kind != Init::Kind::kTorch) return biases;
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  for (float& b : biases) b = static_cast<float>(rng.Uniform(-bound, bound));
  return biases;
}

void Execute(Device& device, const dnnl::primitive& primitive,
             const std::unordered_map<int, dnnl::memory>& args) {
  primitive.execute(device.stream, args);
}

}  // namespace stages::nn
