#pragma once
// Per-class loss weights from class counts, for a class-weighted loss.

#include <cstdint>
#include <vector>

namespace stages {

// scikit-learn's "balanced" weights (compute_class_weight): w_c = N / (K * n_c), where N is the
// number of examples and K the number of classes present (n_c > 0). The weights then average 1
// over the examples: sum_c n_c w_c / N = 1. A class with no examples gets weight 0 (it never
// enters the loss, and 0 keeps the tensor finite).
std::vector<double> BalancedClassWeights(const std::vector<int64_t>& counts);

// 1 for every class present, 0 for absent ones: the unweighted loss, written in the same form so
// a study can switch weighting on and off with one parameter.
std::vector<double> UniformClassWeights(const std::vector<int64_t>& counts);

}  // namespace stages
