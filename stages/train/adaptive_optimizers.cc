#include "stages/train/adaptive_optimizers.h"

#include <cmath>

#include "pipeline/errors.h"
#include "pipeline/params.h"

// Plain loops on purpose; see the implementation notes in optimizer.cc.

namespace stages {
namespace {

void CheckRange(const char* optimizer, const char* name, double value, double low,
                bool low_inclusive, double high, bool high_inclusive) {
  const bool ok = std::isfinite(value) && (low_inclusive ? value >= low : value > low) &&
                  (high_inclusive ? value <= high : value < high);
  if (!ok) {
    throw pipeline::ConfigError(std::string(optimizer) + ": " + name + " must be in " +
                                (low_inclusive ? "[" : "(") + pipeline::Json(low).dump() + ", " +
                                pipeline::Json(high).dump() + (high_inclusive ? "]" : ")") +
                                ", got " + pipeline::Json(value).dump());
  }
}

constexpr double kHuge = 1e30;

}  // namespace

Adagrad::Adagrad(const AdagradOptions& options)
    : Optimizer("adagrad", options.lr, options.penalties, {"sum"}),
      eps_(static_cast<float>(options.eps)),
      initial_accumulator_(static_cast<float>(options.initial_accumulator)) {
  CheckRange("adagrad", "lr", options.lr, 0, false, kHuge, true);
  CheckRange("adagrad", "eps", options.eps, 0, true, 1, true);
  CheckRange("adagrad", "initial_accumulator", options.initial_accumulator, 0, true, kHuge, true);
}

float Adagrad::InitialSlotValue(size_t) const { return initial_accumulator_; }

void Adagrad::UpdateChunk(const Chunk& chunk) const {
  float* __restrict w = chunk.value;
  const float* __restrict g = chunk.grad;
  float* __restrict sum = chunk.slots[0];
  const auto lr = static_cast<float>(this->lr());
  const float eps = eps_;
  for (int64_t i = 0; i < chunk.size; ++i) {
    sum[i] += g[i] * g[i];
    w[i] -= lr * g[i] / (std::sqrt(sum[i]) + eps);
  }
}

Rmsprop::Rmsprop(const RmspropOptions& options)
    : Optimizer("rmsprop", options.lr, options.penalties, {"square_avg"}),
      alpha_(static_cast<float>(options.alpha)),
      eps_(static_cast<float>(options.eps)) {
  CheckRange("rmsprop", "lr", options.lr, 0, false, kHuge, true);
  CheckRange("rmsprop", "alpha", options.alpha, 0, true, 1, false);
  CheckRange("rmsprop", "eps", options.eps, 0, true, 1, true);
}

void Rmsprop::UpdateChunk(const Chunk& chunk) const {
  float* __restrict w = chunk.value;
  const float* __restrict g = chunk.grad;
  float* __restrict square_avg = chunk.slots[0];
  const auto lr = static_cast<float>(this->lr());
  const float alpha = alpha_;
  const float one_minus_alpha = 1.0f - alpha_;
  const float eps = eps_;
  for (int64_t i = 0; i < chunk.size; ++i) {
    square_avg[i] = alpha * square_avg[i] + one_minus_alpha * g[i] * g[i];
    w[i] -= lr * g[i] / (std::sqrt(square_avg[i]) + eps);
  }
}

Adam::Adam(const AdamOptions& options)
    : Optimizer("adam", options.lr, options.penalties, {"exp_avg", "exp_avg_sq"}),
      beta1_(options.beta1),
      beta2_(options.beta2),
      eps_(static_cast<float>(options.eps)) {
  CheckRange("adam", "lr", options.lr, 0, false, kHuge, true);
  CheckRange("adam", "beta1", options.beta1, 0, true, 1, false);
  CheckRange("adam", "beta2", options.beta2, 0, true, 1, false);
  CheckRange("adam", "eps", options.eps, 0, true, 1, true);
}

void Adam::UpdateChunk(const Chunk& chunk) const {
  float* __restrict w = chunk.value;
  const float* __restrict g = chunk.grad;
  float* __restrict m = chunk.slots[0];
  float* __restrict v = chunk.slots[1];
  // The scalar factors are computed in double, once per chunk, as PyTorch computes them in
  // Python floats.
  const double t = static_cast<double>(chunk.step);
  const auto step_size = static_cast<float>(lr() / (1.0 - std::pow(beta1_, t)));
  const auto bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(beta2_, t)));
  const auto b1 = static_cast<float>(beta1_);
  const auto b2 = static_cast<float>(beta2_);
  const float one_minus_b1 = 1.0f - b1;
  const float one_minus_b2 = 1.0f - b2;
  const float eps = eps_;
  for (int64_t i = 0; i < chunk.size; ++i) {
    m[i] = b1 * m[i] + one_minus_b1 * g[i];
    v[i] = b2 * v[i] + one_minus_b2 * g[i] * g[i];
    w[i] -= step_size * m[i] / (std::sqrt(v[i]) / bias_correction2_sqrt + eps);
  }
}

}  // namespace stages
