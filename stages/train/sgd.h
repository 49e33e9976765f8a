#pragma once
// Stochastic gradient descent, optionally with (Nesterov) momentum, in PyTorch's formulation
// (torch.optim.SGD with dampening 0):
//   plain:     w <- w - lr * g
//   momentum:  v <- mu * v + g;  w <- w - lr * v                      (v starts at 0, so v1 = g)
//   Nesterov:  v <- mu * v + g;  w <- w - lr * (g + mu * v)
// where g is the gradient plus the penalty gradients (optimizer.h). Momentum as in Polyak (1964);
// the Nesterov form is Sutskever et al., "On the importance of initialization and momentum in
// deep learning" (ICML 2013), as rewritten by PyTorch. State: "momentum_buffer" when mu > 0.

#include "stages/train/optimizer.h"

namespace stages {

struct SgdOptions {
  double lr = 0.01;
  double momentum = 0;    // mu in [0, 1); 0 means plain SGD (no state)
  bool nesterov = false;  // needs momentum > 0
  PenaltyOptions penalties;
};

class Sgd : public Optimizer {
 public:
  // Throws ConfigError on lr <= 0, momentum outside [0, 1) or nesterov without momentum.
  explicit Sgd(const SgdOptions& options);

 protected:
  void UpdateChunk(const Chunk& chunk) const override;

 private:
  float momentum_;
  bool nesterov_;
};

}  // namespace stages
