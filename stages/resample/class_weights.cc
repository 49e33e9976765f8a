#include "stages/resample/class_weights.h"

#include <cstddef>
#include <numeric>

namespace stages {

std::vector<double> BalancedClassWeights(const std::vector<int64_t>& counts) {
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  int64_t present = 0;
  for (int64_t n : counts) present += n > 0 ? 1 : 0;
  std::vector<double> weights(counts.size(), 0.0);
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] > 0) {
      weights[c] = static_cast<double>(total) /
                   (static_cast<double>(present) * static_cast<double>(counts[c]));
    }
  }
  return weights;
}

std::vector<double> UniformClassWeights(const std::vector<int64_t>& counts) {
  std::vector<double> weights(counts.size(), 0.0);
  for (size_t c = 0; c < counts.size(); ++c) weights[c] = counts[c] > 0 ? 1.0 : 0.0;
  return weights;
}

}  // namespace stages
