#pragma once
// Column means and the scatter matrix sum_i (x_i - mean)(x_i - mean)^T of a float data matrix,
// the shared first step of exact and randomized PCA (pca.h, randomized_pca.h).
//
// Precision: the scatter is formed per fixed block of rows in float32 (Eigen's GEMM kernels,
// about twice the throughput of double) and the block results are summed in double, so the
// rounding error of one entry is about sqrt(block rows) float ulps relative to the block's sum,
// not N. For PCA this perturbs an eigenvalue by ~1e-6 of the largest one.
//
// Determinism: blocks, chunks and the reduction tree depend only on N
// (stages/common/row_blocks.h), so the results are bit-identical for any thread count. Parallel
// loops run in the caller's task arena. Thread-safe: no shared state.

#include <Eigen/Core>

#include "pipeline/tensor.h"

namespace stages {

// Per-feature mean of the rows of x, summed in double.
Eigen::VectorXd ColumnMeans(const Eigen::Ref<const pipeline::RowMatrixXf>& x);

// sum_i (x_i - mean)(x_i - mean)^T [D, D]; both triangles are filled. Cost O(N D^2 / 2) flops
// and one D x D double accumulator per running block.
Eigen::MatrixXd CenteredScatter(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                                const Eigen::VectorXd& mean);

}  // namespace stages
