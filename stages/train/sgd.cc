#include "stages/train/sgd.h"

#include <cmath>

#include "pipeline/errors.h"

namespace stages {

Sgd::Sgd(const SgdOptions& options)
    : Optimizer("sgd", options.lr, options.penalties,
                options.momentum > 0 ? std::vector<std::string>{"momentum_buffer"}
                                     : std::vector<std::string>{}),
      momentum_(static_cast<float>(options.momentum)),
      nesterov_(options.nesterov) {
  if (!(options.lr > 0) || !std::isfinite(options.lr)) {
    throw pipeline::ConfigError("sgd: lr must be a positive number, got " +
                                std::to_string(options.lr));
  }
  if (!(options.momentum >= 0 && options.momentum < 1)) {
    throw pipeline::ConfigError("sgd: momentum must be in [0, 1), got " +
                                std::to_string(options.momentum));
  }
  if (options.nesterov && options.momentum == 0) {
    throw pipeline::ConfigError("sgd: nesterov needs momentum > 0 (e.g. momentum: 0.9)");
  }
}

// Plain loops on purpose; see the implementation notes in optimizer.cc.
void Sgd::UpdateChunk(const Chunk& chunk) const {
  float* __restrict w = chunk.value;
  const float* __restrict g = chunk.grad;
  const int64_t n = chunk.size;
  const auto lr = static_cast<float>(this->lr());
  const float mu = momentum_;
  if (mu == 0) {
    for (int64_t i = 0; i < n; ++i) w[i] -= lr * g[i];
    return;
  }
  float* __restrict v = chunk.slots[0];
  if (nesterov_) {
    for (int64_t i = 0; i < n; ++i) {
      v[i] = mu * v[i] + g[i];
      w[i] -= lr * (g[i] + mu * v[i]);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      v[i] = mu * v[i] + g[i];
      w[i] -= lr * v[i];
    }
  }
}

}  // namespace stages
