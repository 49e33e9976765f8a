#pragma once
// Optimisers with a per-element step size, in PyTorch's formulations (g is the gradient plus
// the penalty gradients, see optimizer.h; all state starts at 0 unless said otherwise):
//
// Adagrad (Duchi, Hazan & Singer, "Adaptive subgradient methods for online learning and
// stochastic optimization", JMLR 2011), torch.optim.Adagrad with lr_decay 0:
//   s <- s + g^2;  w <- w - lr * g / (sqrt(s) + eps)              state "sum" (starts at
//   initial_accumulator)
//
// RMSprop (Tieleman & Hinton, COURSERA "Neural networks for machine learning", lecture 6.5,
// 2012), torch.optim.RMSprop, not centred, without momentum:
//   s <- alpha * s + (1 - alpha) * g^2;  w <- w - lr * g / (sqrt(s) + eps)   state "square_avg"
//
// Adam (Kingma & Ba, "Adam: a method for stochastic optimization", ICLR 2015), torch.optim.Adam
// (eps added after the bias correction of sqrt(v), as PyTorch does; the paper's Algorithm 1
// adds it to sqrt(v-hat), which is the same thing):
//   m <- b1 * m + (1 - b1) * g;  v <- b2 * v + (1 - b2) * g^2
//   w <- w - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//   t = the 1-based update count of the parameter.                 state "exp_avg", "exp_avg_sq"

#include "stages/train/optimizer.h"

namespace stages {

struct AdagradOptions {
  double lr = 0.01;
  double eps = 1e-10;
  double initial_accumulator = 0;  // >= 0
  PenaltyOptions penalties;
};

struct RmspropOptions {
  double lr = 0.01;
  double alpha = 0.99;  // smoothing constant in [0, 1)
  double eps = 1e-8;
  PenaltyOptions penalties;
};

struct AdamOptions {
  double lr = 0.001;
  double beta1 = 0.9;    // in [0, 1)
  double beta2 = 0.999;  // in [0, 1)
  double eps = 1e-8;
  PenaltyOptions penalties;
};

// The constructors throw ConfigError on values outside the ranges above, lr <= 0 or eps < 0.
class Adagrad : public Optimizer {
 public:
  explicit Adagrad(const AdagradOptions& options);

 protected:
  void UpdateChunk(const Chunk& chunk) const override;
  float InitialSlotValue(size_t slot) const override;

 private:
  float eps_;
  float initial_accumulator_;
};

class Rmsprop : public Optimizer {
 public:
  explicit Rmsprop(const RmspropOptions& options);

 protected:
  void UpdateChunk(const Chunk& chunk) const override;

 private:
  float alpha_;
  float eps_;
};

class Adam : public Optimizer {
 public:
  explicit Adam(const AdamOptions& options);

 protected:
  void UpdateChunk(const Chunk& chunk) const override;

 private:
  double beta1_;
  double beta2_;
  float eps_;
};

}  // namespace stages
