#include "stages/train/nn/layer.h"

#include <cmath>

namespace stages::nn {

std::vector<float> DrawWeights(const Init& init, int64_t fan_in, int64_t fan_out, int64_t count,
                               pipeline::Rng& rng) {
  double stddev = 0;
  if (init.kind == Init::Kind::kHe) {
    const double a = init.negative_slope;
    stddev = std::sqrt(2.0 / ((1.0 + a * a) * static_cast<double>(fan_in)));
  } else {
    stddev = std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  }
  std::vector<float> weights(static_cast<size_t>(count));
  for (float& w : weights) w = static_cast<float>(rng.Normal(0.0, stddev));
  return weights;
}

void Execute(Device& device, const dnnl::primitive& primitive,
             const std::unordered_map<int, dnnl::memory>& args) {
  primitive.execute(device.stream, args);
}

}  // namespace stages::nn
