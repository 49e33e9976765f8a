#include "stages/reduce/tsne_gradient.h"

// Implementation notes
// - Points are visited in the tree's depth-first order, so consecutive points (and threads
//   working on neighbouring blocks) walk nearly the same cells and reuse the cache; each point
//   still writes only its own row, so the visiting order never changes a result.
// - The attractive and repulsive parts of one point are computed together: the point's row of
//   P is read once while its coordinates are in registers.
// - Z is the sum of the per-point kernel sums minus the self term (1 per point), reduced over
//   fixed blocks in index order.

#include <Eigen/Core>
#include <cmath>
#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "stages/common/row_blocks.h"
#include "stages/reduce/space_tree.h"

namespace stages {
namespace {

constexpr int64_t kPointBlock = 64;
constexpr int64_t kReduceBlock = 1024;

// sum_e values[e] w_ij (y_i - y_j) over one row of P, j = columns[e]. Scalar accumulators:
// GCC 12 keeps a small accumulator array in memory across iterations, which made this loop
// twice as slow; out of line, the register allocator keeps them in registers.
template <int kDims>
__attribute__((noinline)) void AttractiveForce(const double* yi, const double* coordinates, const int32_t* columns,
                            const double* values, int64_t begin, int64_t end, double* force) {
  double f0 = 0, f1 = 0, f2 = 0;
  const double y0 = yi[0], y1 = yi[1], y2 = kDims == 3 ? yi[2] : 0.0;
  for (int64_t e = begin; e < end; ++e) {
    const double* yj = coordinates + static_cast<int64_t>(columns[e]) * kDims;
    const double d0 = y0 - yj[0];
    const double d1 = y1 - yj[1];
    double distance_squared = d0 * d0 + d1 * d1;
    double d2 = 0;
    if constexpr (kDims == 3) {
      d2 = y2 - yj[2];
      distance_squared += d2 * d2;
    }
    const double scale = values[e] / (1 + distance_squared);
    f0 += scale * d0;
    f1 += scale * d1;
    if constexpr (kDims == 3) f2 += scale * d2;
  }
  force[0] = f0;
  force[1] = f1;
  if constexpr (kDims == 3) force[2] = f2;
}

template <int kDims>
TsneGradientResult GradientImpl(const SparseAffinities& p, const pipeline::RowMatrixXd& y,
                                double theta, double exaggeration, bool compute_kl,
                                pipeline::RowMatrixXd* gradient) {
  const int64_t n = y.rows();
  const double* coordinates = y.data();
  const SpaceTree<kDims> tree(coordinates, n);
  const std::vector<int32_t>& order = tree.order();
  const double theta_squared = theta * theta;
  const int64_t* row_offsets = p.row_offsets.data();
  const int32_t* columns = p.columns.data();
  const double* values = p.values.data();

  pipeline::RowMatrixXd repulsive(n, kDims);
  gradient->resize(n, kDims);
  // Per point: kernel sum excluding itself, sum_j p_ij log(p_ij / w_ij), sum_j p_ij.
  Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor> sums(n, 3);

  ForEachRowBlock(n, kPointBlock, [&](int64_t begin, int64_t end) {
    for (int64_t position = begin; position < end; ++position) {
      const int64_t i = order[static_cast<size_t>(position)];
      const double* yi = coordinates + i * kDims;
      double negative[kDims] = {};
      const double sum_q = tree.Repulsion(yi, theta_squared, negative) - 1;

      // Attractive term. Kept free of calls so the accumulators stay in registers.
      const int64_t row_begin = row_offsets[i];
      const int64_t row_end = row_offsets[i + 1];
      double positive[kDims];
      AttractiveForce<kDims>(yi, coordinates, columns, values, row_begin, row_end, positive);
      double kl_term = 0;
      double p_sum = 0;
      if (compute_kl) {
        for (int64_t e = row_begin; e < row_end; ++e) {
          const double* yj = coordinates + static_cast<int64_t>(columns[e]) * kDims;
          double distance_squared = 0;
          for (int a = 0; a < kDims; ++a) {
            distance_squared += (yi[a] - yj[a]) * (yi[a] - yj[a]);
          }
          // log(p / w) = log(p) + log(1 + d^2); 0 log 0 = 0 (p underflows for far neighbours).
          if (values[e] > 0) {
            kl_term += values[e] * (std::log(values[e]) + std::log1p(distance_squared));
          }
          p_sum += values[e];
        }
      }
      for (int a = 0; a < kDims; ++a) {
        (*gradient)(i, a) = exaggeration * positive[a];
        repulsive(i, a) = negative[a];
      }
      sums(i, 0) = sum_q;
      sums(i, 1) = kl_term;
      sums(i, 2) = p_sum;
    }
  });

  const Eigen::Vector3d totals = ReduceRowBlocks(
      n, kReduceBlock, Eigen::Vector3d::Zero().eval(),
      [&](int64_t begin, int64_t end, Eigen::Vector3d& partial) {
        for (int64_t i = begin; i < end; ++i) partial += sums.row(i).transpose();
      });
  const double z = totals(0);
  const double inverse_z = 1 / z;
  for (int64_t i = 0; i < n; ++i) {
    for (int a = 0; a < kDims; ++a) {
      (*gradient)(i, a) = 4 * ((*gradient)(i, a) - repulsive(i, a) * inverse_z);
    }
  }
  TsneGradientResult result;
  result.normalization = z;
  if (compute_kl) result.kl_divergence = totals(1) + totals(2) * std::log(z);
  return result;
}

}  // namespace

TsneGradientResult TsneGradient(const SparseAffinities& p, const pipeline::RowMatrixXd& y,
                                double theta, double exaggeration, bool compute_kl,
                                pipeline::RowMatrixXd* gradient) {
  if (y.rows() != p.points) {
    throw pipeline::StageError("tsne: embedding has " + std::to_string(y.rows()) +
                               " rows but the affinities cover " + std::to_string(p.points) +
                               " points");
  }
  if (y.cols() == 2) return GradientImpl<2>(p, y, theta, exaggeration, compute_kl, gradient);
  if (y.cols() == 3) return GradientImpl<3>(p, y, theta, exaggeration, compute_kl, gradient);
  throw pipeline::StageError("tsne: the embedding must have 2 or 3 dimensions, got " +
                             std::to_string(y.cols()));
}

}  // namespace stages
