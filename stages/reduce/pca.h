#pragma once
// Principal component analysis by eigendecomposition of the sample covariance matrix
// (Pearson 1901; Jolliffe, "Principal Component Analysis", 2nd ed., 2002, ch. 1-3).
//
// Fitting is exact, not randomised: the covariance is accumulated in double precision over fixed
// blocks of rows and reduced in a fixed order, so the model is bit-identical for any thread
// count. Cost: O(N D^2) for the covariance plus O(D^3) for the eigensolver, so it suits D up to
// a few thousand (28x28 images have D = 784).
//
// Conventions (those of scikit-learn's PCA):
//   - the covariance divides by N - 1;
//   - components are sorted by decreasing explained variance;
//   - each component's sign is fixed so that its entry of largest magnitude is positive (the
//     first such entry on ties), which makes the output independent of the eigensolver's sign;
//   - whitening divides each projected coordinate by the square root of its variance.
//
// Thread-safe: no shared state. Parallel loops run in the caller's task arena.

#include <Eigen/Core>
#include <cstdint>

#include "pipeline/tensor.h"

namespace stages {

struct PcaModel {
  Eigen::VectorXd mean;                      // [D] per-feature mean of the training data
  pipeline::RowMatrixXd components;          // [k, D] orthonormal rows, by decreasing variance
  Eigen::VectorXd explained_variance;        // [k] variance along each component
  Eigen::VectorXd explained_variance_ratio;  // [k] share of the total variance (0 if it is 0)
  double total_variance = 0.0;               // trace of the covariance
};

// Fits `components` principal components to the rows of x (N examples x D features).
// Throws pipeline::StageError if components < 1, components > D or N < 2.
PcaModel FitPca(const Eigen::Ref<const pipeline::RowMatrixXf>& x, int64_t components);

// Projects the rows of x onto the model's components: (x - mean) * components^T, divided by
// sqrt(explained_variance) per column when `whiten` is set. Components whose variance is zero
// (below 1e-12 of the largest) project to 0 when whitened rather than to amplified noise.
pipeline::RowMatrixXf PcaTransform(const PcaModel& model,
                                   const Eigen::Ref<const pipeline::RowMatrixXf>& x, bool whiten);

}  // namespace stages
