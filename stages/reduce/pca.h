#pragma once
// Principal component analysis (Pearson 1901; Jolliffe, "Principal Component Analysis", 2nd ed.,
// 2002, ch. 1-3) with two solvers:
//   - exact: eigendecomposition of the sample covariance (this file). The covariance costs
//     O(N D^2) (stages/reduce/scatter_matrix.h) and the symmetric eigensolver O(D^3), so it suits
//     D up to a few thousand (28x28 images have D = 784).
//   - randomized: Halko, Martinsson & Tropp's randomized range finder with power iterations
//     (stages/reduce/randomized_pca.h); it needs only O(k) directions and draws from an Rng.
//
// Conventions (those of scikit-learn's PCA):
//   - the covariance divides by N - 1;
//   - components are sorted by decreasing explained variance;
//   - each component's sign is fixed so that its entry of largest magnitude is positive (the
//     first such entry on ties), which makes the output independent of the solver's sign;
//   - whitening divides each projected coordinate by the square root of its variance.
//
// Determinism: every sum runs over fixed blocks of rows with a fixed reduction order, so models
// are bit-identical for any thread count (the randomized solver also for a given Rng state).
// Thread-safe: no shared state. Parallel loops run in the caller's task arena.

#include <Eigen/Core>
#include <cstdint>
#include <string>

#include "pipeline/rng.h"
#include "pipeline/tensor.h"

namespace stages {

struct PcaModel {
  Eigen::VectorXd mean;                      // [D] per-feature mean of the training data
  pipeline::RowMatrixXd components;          // [k, D] orthonormal rows, by decreasing variance
  Eigen::VectorXd explained_variance;        // [k] variance along each component
  Eigen::VectorXd explained_variance_ratio;  // [k] share of the total variance (0 if it is 0)
  double total_variance = 0.0;               // trace of the covariance
};

enum class PcaSolver { kAuto, kExact, kRandomized };

// Parses "auto" | "exact" | "randomized"; throws pipeline::StageError otherwise.
PcaSolver ParsePcaSolver(const std::string& name);
const char* PcaSolverName(PcaSolver solver);

// scikit-learn 1.2's rule for svd_solver="auto": randomized when max(N, D) > 500 and
// components < 0.8 * min(N, D) (few components of a large matrix), exact otherwise.
PcaSolver ResolvePcaSolver(PcaSolver solver, int64_t examples, int64_t dims, int64_t components);

struct PcaOptions {
  int64_t components = 2;  // k, in 1..D
  PcaSolver solver = PcaSolver::kAuto;
  // Randomized solver only: power iterations, -1 = scikit-learn's "auto" (7 when
  // components < 0.1 * min(N, D), else 4); extra random directions beyond k (default 10).
  int64_t power_iterations = -1;
  int64_t oversamples = 10;
};

// Fits with the solver options.solver resolves to. `rng` is drawn from only by the randomized
// solver. Throws pipeline::StageError for components outside 1..D or N < 2.
PcaModel FitPca(const Eigen::Ref<const pipeline::RowMatrixXf>& x, const PcaOptions& options,
                pipeline::Rng& rng);

// Exact PCA: the top `components` eigenvectors of the covariance of the rows of x.
PcaModel FitPca(const Eigen::Ref<const pipeline::RowMatrixXf>& x, int64_t components);

// Projects the rows of x onto the model's components: (x - mean) * components^T, divided by
// sqrt(explained_variance) per column when `whiten` is set. Components whose variance is zero
// (below 1e-12 of the largest) project to 0 when whitened rather than to amplified noise.
// Computed in float32 per block of rows (the output is float32 anyway).
pipeline::RowMatrixXf PcaTransform(const PcaModel& model,
                                   const Eigen::Ref<const pipeline::RowMatrixXf>& x, bool whiten);

// Building blocks shared by the solvers.
// Throws pipeline::StageError unless 1 <= components <= dims and examples >= 2.
void CheckPcaShape(int64_t examples, int64_t dims, int64_t components);
// A model from unit eigenvectors (the columns of `vectors`, D x k, by decreasing variance) and
// their variances: clamps rounding-negative variances to 0, fixes the signs, fills the ratios.
PcaModel AssemblePcaModel(Eigen::VectorXd mean, const Eigen::MatrixXd& vectors,
                          const Eigen::VectorXd& variances, double total_variance);

}  // namespace stages
