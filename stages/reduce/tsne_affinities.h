#pragma once
// The input affinities of Barnes-Hut t-SNE (van der Maaten, "Accelerating t-SNE using
// tree-based algorithms", JMLR 15, 2014, section 4.1):
//   1. the k = min(N - 1, floor(3 * perplexity) + 1) nearest neighbours of every point (exact,
//      squared Euclidean distances, ties broken by the smaller index; k as scikit-learn);
//   2. per point i, the Gaussian bandwidth beta_i = 1 / (2 sigma_i^2) found by bisection so that
//      the conditional distribution p_{j|i} = exp(-beta_i d_ij^2) / sum_k exp(-beta_i d_ik^2)
//      over the k neighbours has entropy log(perplexity) (in nats) within 1e-6;
//   3. the symmetrised joint distribution P = (P_cond + P_cond^T) / sum, a sparse symmetric
//      matrix whose entries sum to 1.
//
// Thread-safe: no shared state. Parallel loops run in the caller's task arena and write disjoint
// per-point outputs, so every result is bit-identical for any thread count.

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "pipeline/tensor.h"

namespace stages {

// The k nearest neighbours of every point: row i holds neighbours[i * k .. i * k + k) sorted by
// increasing distance (then by index); the point itself is never its own neighbour.
struct NeighborGraph {
  int64_t points = 0;
  int64_t k = 0;
  std::vector<int32_t> neighbors;         // [points * k]
  std::vector<double> squared_distances;  // [points * k], computed in double from the rows
};

// Exact k-nearest neighbours by blocked distance-matrix products (|a|^2 + |b|^2 - 2 a.b in
// float32 over blocks of rows to select candidates, then the selected distances recomputed in
// double). O(N^2 D) time, O(block * N) memory. Throws pipeline::StageError unless 1 <= k < N.
NeighborGraph ExactNearestNeighbors(const Eigen::Ref<const pipeline::RowMatrixXf>& x, int64_t k);

// Row-stochastic conditional affinities p_{j|i}, laid out like graph.neighbors, and the
// bandwidths found. Throws pipeline::StageError unless 1 < perplexity <= graph.k.
struct ConditionalAffinities {
  std::vector<double> probabilities;  // [points * k]; each row sums to 1
  std::vector<double> betas;          // [points]
};
ConditionalAffinities SearchBandwidths(const NeighborGraph& graph, double perplexity);

// A sparse symmetric matrix in compressed-row form; columns are ascending within a row.
struct SparseAffinities {
  int64_t points = 0;
  std::vector<int64_t> row_offsets;  // [points + 1]
  std::vector<int32_t> columns;
  std::vector<double> values;
};

// P = (P_cond + P_cond^T) / sum(P_cond + P_cond^T).
SparseAffinities SymmetrizeAffinities(const NeighborGraph& graph,
                                      const ConditionalAffinities& conditional);

// Steps 1 to 3 in one call.
SparseAffinities ComputeTsneAffinities(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                                       double perplexity);

// The neighbour count used for a perplexity: min(points - 1, floor(3 * perplexity) + 1).
int64_t TsneNeighborCount(int64_t points, double perplexity);

}  // namespace stages
