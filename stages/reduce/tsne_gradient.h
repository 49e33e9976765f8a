#pragma once
// The Barnes-Hut t-SNE gradient (van der Maaten, "Accelerating t-SNE using tree-based
// algorithms", JMLR 15, 2014, equations 4-6). With w_ij = 1 / (1 + |y_i - y_j|^2),
// Z = sum_{k != l} w_kl and q_ij = w_ij / Z:
//   dC/dy_i = 4 [ alpha sum_j p_ij w_ij (y_i - y_j)  -  sum_j w_ij^2 (y_i - y_j) / Z ]
// where alpha is the early-exaggeration factor. The attractive term runs over the sparse P; the
// repulsive term and Z come from a SpaceTree cut with accuracy `theta` (0 = exact, O(N^2)).
//
// KL divergence (when asked): KL(P || Q) = sum_ij p_ij log(p_ij / q_ij) over the non-zeros of
// the un-exaggerated P, with q_ij = w_ij / Z and Z the same Barnes-Hut estimate that normalises
// the gradient -- the approximation scikit-learn reports for method="barnes_hut". It is exact
// for theta = 0.
//
// Deterministic: per-point work writes disjoint outputs and Z and KL are sums over fixed row
// blocks (stages/common/row_blocks.h), so results are bit-identical for any thread count.

#include "pipeline/tensor.h"
#include "stages/reduce/tsne_affinities.h"

namespace stages {

struct TsneGradientResult {
  double normalization = 0;  // Z
  double kl_divergence = 0;  // 0 unless compute_kl
};

// Writes dC/dy into *gradient (resized to y's shape). y has 2 or 3 columns (StageError
// otherwise) and p.points rows.
TsneGradientResult TsneGradient(const SparseAffinities& p, const pipeline::RowMatrixXd& y,
                                double theta, double exaggeration, bool compute_kl,
                                pipeline::RowMatrixXd* gradient);

}  // namespace stages
