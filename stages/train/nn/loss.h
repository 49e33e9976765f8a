#pragma once
// Losses on a network's plain output [batch, ...]. Each returns the loss (a mean, as PyTorch's
// default reduction) and, when `grad` is not nullptr, writes d loss / d input into it (same
// shape as the input), ready for Network::Backward. Sums run in double, in index order, so the
// result does not depend on threads. Thread-safe (pure functions).

#include <cstdint>
#include <vector>

namespace stages::nn {

// Softmax cross-entropy of logits [batch, classes] against integer labels, through a stable
// log-sum-exp: loss_i = log sum_j exp(z_ij - m_i) - (z_iy - m_i), m_i = max_j z_ij.
// With `class_weights` (one per class) it is PyTorch's CrossEntropyLoss(weight=w):
//   sum_i w[y_i] loss_i / sum_i w[y_i];  otherwise the plain mean over the batch.
// d/dz_ij = w[y_i] (softmax_ij - [j == y_i]) / sum_i w[y_i].
// Throws pipeline::StageError on a label outside [0, classes).
double SoftmaxCrossEntropy(const float* logits, const int32_t* labels, int64_t batch,
                           int64_t classes, float* grad,
                           const std::vector<float>* class_weights = nullptr);

// Mean squared error over all `count` elements: mean (p - t)^2; d/dp = 2 (p - t) / count.
double MeanSquaredError(const float* prediction, const float* target, int64_t count, float* grad);

// Binary cross-entropy on logits x against targets t in [0, 1], mean over `count` elements,
// in the stable form max(x, 0) - x t + log(1 + exp(-|x|)); d/dx = (sigmoid(x) - t) / count.
double BinaryCrossEntropyWithLogits(const float* logits, const float* targets, int64_t count,
                                    float* grad);

// Index of the largest logit of each row (first one on ties), for accuracy.
std::vector<int32_t> ArgMax(const float* logits, int64_t batch, int64_t classes);

}  // namespace stages::nn
