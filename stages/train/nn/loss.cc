#include "stages/train/nn/loss.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

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

namespace {

// exp(y) for y <= 0 in float, written out so that a loop of it vectorises (a libm call would not):
// y = n ln 2 + r with |r| <= ln 2 / 2, e^r by its Taylor series to r^7 (relative error < 1e-8),
// times 2^n built in the exponent bits. Below -87 (e^y < 2e-38) it returns e^-87.
inline float ExpNonPositive(float y) {
  y = std::max(y, -87.0f);
  const float n = std::nearbyint(y * 1.44269504088896341f);
  // ln 2 in two parts, so n * ln 2 is subtracted without rounding error.
  const float r = (y - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// log(1 + e) for e in [0, 1], as 2 atanh(s) with s = e / (2 + e) in [0, 1/3] (no cancellation
// for small e): 2 s (1 + s^2/3 + s^4/5 + ... + s^16/17), relative error < 1e-8.
inline float Log1pUnit(float e) {
  const float s = e / (2.0f + e);
  const float q = s * s;
  float p = 1.0f / 17.0f;
  p = p * q + 1.0f / 15.0f;
  p = p * q + 1.0f / 13.0f;
  p = p * q + 1.0f / 11.0f;
  p = p * q + 1.0f / 9.0f;
  p = p * q + 1.0f / 7.0f;
  p = p * q + 1.0f / 5.0f;
  p = p * q + 1.0f / 3.0f;
  p = p * q + 1.0f;
  return 2.0f * s * p;
}

}  // namespace

double BinaryCrossEntropyWithLogits(const float* logits, const float* targets, int64_t count,
                                    float* grad) {
  // Fixed chunks, each summed in order in double and the chunk sums added in order: the result
  // does not depend on the number of threads. The per-element terms are computed in float.
  constexpr int64_t kChunk = 8192;
  const int64_t chunks = (count + kChunk - 1) / kChunk;
  std::vector<double> sums(static_cast<size_t>(std::max<int64_t>(chunks, 1)), 0.0);
  const float scale = count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t end = std::min(count, (c + 1) * kChunk);
    // Per element in float (vectorised), the chunk's sum in double in index order.
    float terms[kChunk];
    const int64_t begin = c * kChunk, size = end - begin;
    const float* x = logits + begin;
    const float* t = targets + begin;
    float* g = grad != nullptr ? grad + begin : nullptr;
    for (int64_t k = 0; k < size; ++k) {
      const float e = ExpNonPositive(-std::abs(x[k]));
      terms[k] = std::max(x[k], 0.0f) - x[k] * t[k] + Log1pUnit(e);
    }
    if (g != nullptr) {
      for (int64_t k = 0; k < size; ++k) {
        // A sigmoid that does not overflow for large |x|.
        const float e = ExpNonPositive(-std::abs(x[k]));
        const float sigmoid = (x[k] >= 0 ? 1.0f : e) / (1.0f + e);
        g[k] = (sigmoid - t[k]) * scale;
      }
    }
    double sum = 0;
    for (int64_t k = 0; k < size; ++k) sum += static_cast<double>(terms[k]);
    sums[static_cast<size_t>(c)] = sum;
  }
  double sum = 0;
  for (const double s : sums) sum += s;
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
