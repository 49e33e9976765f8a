#pragma once
// ParameterView: one trainable tensor as the optimisers see it — a flat float buffer of values
// and the gradient the last backward pass accumulated for it, in the same (possibly blocked)
// memory layout. Optimisers and penalties work element by element, so they never need to know
// the layout. Owned by the network; views stay valid while the network lives and its shapes do
// not change.

#include <cstdint>
#include <string>

namespace stages {

struct ParameterView {
  std::string name;      // "<layer name>.weight", "<layer name>.bias", "<layer>.gamma", ...
  float* value = nullptr;
  float* grad = nullptr;
  int64_t size = 0;
  // Weight decay and L1/L2 penalties apply to weights only (not biases, not batch-norm scale
  // and shift), as is usual.
  bool is_weight = false;
  bool frozen = false;   // frozen parameters are neither updated nor penalised
};

}  // namespace stages
