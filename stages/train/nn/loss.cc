#include "stages/train/nn/loss.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "pipeline/errors.h"

namespace stages::nn {

double SoftmaxCrossEntropy(const float* logits, const int32_t* labels, int64_t batch,
                           int64_t classes, float* grad,
                           const std::vector<float>* class_weights) {
  if (class_weights != nullptr && static_cast<int64_t>(class_weights->size()) != classes) {
    throw pipeline::StageError("cross-entropy: " + std::to_string(class_weights->size()) +
                               " class weights for " + std::to_string(classes) + " classes");
  }
  double weighted_sum = 0;
  double weight_total = 0;
  std::vector<double> shifted(static_cast<size_t>(classes));
  for (int64_t i = 0; i < batch; ++i) {
    const float* z = logits + i * classes;
    const int32_t label = labels[i];
    if (label < 0 || label >= classes) {
      throw pipeline::StageError("cross-entropy: label " + std::to_string(label) + " of row " +
                                 std::to_string(i) + " is outside [0, " +
                                 std::to_string(classes) + ")");
    }
    const double m = *std::max_element(z, z + classes);
    double sum = 0;
    for (int64_t j = 0; j < classes; ++j) {
      shifted[static_cast<size_t>(j)] = std::exp(static_cast<double>(z[j]) - m);
      sum += shifted[static_cast<size_t>(j)];
    }
    const double w = class_weights != nullptr ? (*class_weights)[static_cast<size_t>(label)] : 1.0;
    weighted_sum += w * (std::log(sum) - (static_cast<double>(z[label]) - m));
    weight_total += w;
    if (grad != nullptr) {
      // Unnormalised here; divided by the total weight below once it is known.
      float* g = grad + i * classes;
      for (int64_t j = 0; j < classes; ++j) {
        g[j] = static_cast<float>(w * (shifted[static_cast<size_t>(j)] / sum - (j == label)));
      }
    }
  }
  if (weight_total <= 0) return 0;
  if (grad != nullptr) {
    const auto inverse = static_cast<float>(1.0 / weight_total);
    for (int64_t k = 0; k < batch * classes; ++k) grad[k] *= inverse;
  }
  return weighted_sum / weight_total;
}

double MeanSquaredError(const float* prediction, const float* target, int64_t count, float* grad) {
  double sum = 0;
  const double scale = 2.0 / static_cast<double>(count);
  for (int64_t k = 0; k < count; ++k) {
    const double d = static_cast<double>(prediction[k]) - target[k];
    sum += d * d;
    if (grad != nullptr) grad[k] = static_cast<float>(scale * d);
  }
  return count > 0 ? sum / static_cast<double>(count) : 0;
}

double BinaryCrossEntropyWithLogits(const float* logits, const float* targets, int64_t count,
                                    float* grad) {
  double sum = 0;
  for (int64_t k = 0; k < count; ++k) {
    const double x = logits[k];
    const double t = targets[k];
    sum += std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::abs(x)));
    if (grad != nullptr) {
      // A sigmoid that does not overflow for large |x|.
      const double e = std::exp(-std::abs(x));
      const double sigmoid = x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      grad[k] = static_cast<float>((sigmoid - t) / static_cast<double>(count));
    }
  }
  return count > 0 ? sum / static_cast<double>(count) : 0;
}

std::vector<int32_t> ArgMax(const float* logits, int64_t batch, int64_t classes) {
  std::vector<int32_t> result(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) {
    const float* z = logits + i * classes;
    result[static_cast<size_t>(i)] = static_cast<int32_t>(std::max_element(z, z + classes) - z);
  }
  return result;
}

}  // namespace stages::nn
