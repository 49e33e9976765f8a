#pragma once
// Randomized PCA: the randomized range finder with power iterations of Halko, Martinsson &
// Tropp, "Finding structure with randomness", SIAM Review 53(2), 2011 (Algorithms 4.3/4.4 and
// 5.1), as in scikit-learn's randomized_svd: l = k + oversamples Gaussian test directions,
// q power iterations each followed by an orthonormalisation, then the top k directions of the
// data restricted to the subspace found. With a decaying spectrum the leading components agree
// with exact PCA to many digits; the error bound shrinks like (sigma_{l+1}/sigma_k)^(2q+1).
//
// Two ways to apply the centred data A (N x D) -- same subspace, different cost -- chosen by
// flop count unless forced:
//   - kData: products with A itself, 2(2q + 3) N D l flops; orthonormalised with Householder
//     QR (scikit-learn's "QR" normaliser); the final step is the SVD of B = Q^T A.
//   - kScatter: form G = A^T A once (N D^2 flops as a float SYRK, scatter_matrix.h) and iterate
//     on G: Z <- orth(G Z), q times, then Rayleigh-Ritz on span(G^(q+1) Omega) -- the row space
//     of Halko's B. Cheaper when D < 4 (q + 1) l, e.g. 784 features with k = 20 or 50.
//
// Determinism: Omega (D x l) is filled column by column from `rng` on the calling thread; every
// other step is a fixed-block reduction, so the model depends on the rng state and the data
// only, never on the thread count.

#include <Eigen/Core>
#include <cstdint>

#include "pipeline/rng.h"
#include "pipeline/tensor.h"
#include "stages/reduce/pca.h"

namespace stages {

struct RandomizedPcaOptions {
  // q; -1 = scikit-learn's "auto": 7 when components < 0.1 * min(N, D), else 4.
  int64_t power_iterations = -1;
  int64_t oversamples = 10;  // l = min(D, components + oversamples)
  enum class Operand { kAuto, kData, kScatter };
  Operand operand = Operand::kAuto;  // kAuto: the cheaper by flop count (kScatter needs D<=4096)
};

// Fits `components` principal components of the rows of x with the randomized solver. Throws
// pipeline::StageError for components outside 1..D, N < 2 or a negative option.
PcaModel FitRandomizedPca(const Eigen::Ref<const pipeline::RowMatrixXf>& x, int64_t components,
                          const RandomizedPcaOptions& options, pipeline::Rng& rng);

// The q that power_iterations = -1 stands for.
int64_t AutoPowerIterations(int64_t examples, int64_t dims, int64_t components);

}  // namespace stages
