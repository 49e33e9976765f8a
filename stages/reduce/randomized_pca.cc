#include "stages/reduce/randomized_pca.h"

// Implementation notes
// - The data path never materialises the centred matrix: each fixed block of 1024 rows is
//   centred in float, multiplied in float (Eigen's GEMM), and its contribution to A^T Y is summed
//   in double over blocks in a fixed order. Y = A Z writes disjoint rows, so it needs no
//   reduction.
// - Orthonormalisation uses Householder QR (thin Q); unlike scikit-learn's default LU it keeps
//   the basis orthonormal, so rank-deficient data (fewer independent rows than l) cannot blow
//   up the iterates.
// - The data path's final SVD is of B^T = A^T Q (D x l), small enough for BDCSVD; the scatter
//   path's Rayleigh-Ritz is an l x l symmetric eigenproblem.
// - Total variance = trace(A^T A) / (N - 1): the diagonal of G on the scatter path, a sum of
//   squares on the data path.

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <string>

#include "pipeline/errors.h"
#include "stages/common/row_blocks.h"
#include "stages/reduce/scatter_matrix.h"

namespace stages {
namespace {

constexpr int64_t kBlockRows = 1024;
constexpr int64_t kMaxScatterDims = 4096;

using DataRef = Eigen::Ref<const pipeline::RowMatrixXf>;

Eigen::MatrixXd Orthonormalize(const Eigen::MatrixXd& m) {
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(m);
  return qr.householderQ() * Eigen::MatrixXd::Identity(m.rows(), m.cols());
}

Eigen::MatrixXd GaussianMatrix(Eigen::Index rows, Eigen::Index cols, pipeline::Rng& rng) {
  Eigen::MatrixXd omega(rows, cols);
  for (Eigen::Index i = 0; i < omega.size(); ++i) omega.data()[i] = rng.Normal();
  return omega;
}

// Centred data times a D x l matrix: A Z (N x l).
Eigen::MatrixXd TimesCentered(const DataRef& x, const Eigen::RowVectorXf& mean,
                              const Eigen::MatrixXd& z) {
  const Eigen::MatrixXf z_f = z.cast<float>();
  Eigen::MatrixXd y(x.rows(), z.cols());
  ForEachRowBlock(x.rows(), kBlockRows, [&](int64_t begin, int64_t end) {
    const pipeline::RowMatrixXf centered = x.middleRows(begin, end - begin).rowwise() - mean;
    y.middleRows(begin, end - begin) = (centered * z_f).cast<double>();
  });
  return y;
}

// Transposed centred data times an N x l matrix: A^T Y (D x l), summed over fixed blocks.
Eigen::MatrixXd TransposeTimesCentered(const DataRef& x, const Eigen::RowVectorXf& mean,
                                       const Eigen::MatrixXd& y) {
  const Eigen::MatrixXf y_f = y.cast<float>();
  return ReduceRowBlocks(
      x.rows(), kBlockRows, Eigen::MatrixXd::Zero(x.cols(), y.cols()).eval(),
      [&](int64_t begin, int64_t end, Eigen::MatrixXd& partial) {
        const pipeline::RowMatrixXf centered = x.middleRows(begin, end - begin).rowwise() - mean;
        partial += (centered.transpose() * y_f.middleRows(begin, end - begin)).cast<double>();
      });
}

double CenteredSquares(const DataRef& x, const Eigen::RowVectorXf& mean) {
  return ReduceRowBlocks(x.rows(), kBlockRows, 0.0,
                         [&](int64_t begin, int64_t end, double& partial) {
                           const pipeline::RowMatrixXf centered =
                               x.middleRows(begin, end - begin).rowwise() - mean;
                           partial += centered.cast<double>().squaredNorm();
                         });
}

struct Directions {
  Eigen::MatrixXd vectors;    // D x k unit columns, by decreasing variance
  Eigen::VectorXd variances;  // [k], scatter eigenvalues (not yet divided by N - 1)
  double total_scatter = 0.0;
};

// Halko et al. Algorithm 4.4 on A, then Algorithm 5.1 (SVD of B = Q^T A).
Directions FitOnData(const DataRef& x, const Eigen::VectorXd& mean, Eigen::MatrixXd omega,
                     int64_t components, int64_t power_iterations) {
  const Eigen::RowVectorXf mean_f = mean.transpose().cast<float>();
  Eigen::MatrixXd y = TimesCentered(x, mean_f, omega);
  for (int64_t i = 0; i < power_iterations; ++i) {
    const Eigen::MatrixXd z = Orthonormalize(TransposeTimesCentered(x, mean_f, Orthonormalize(y)));
    y = TimesCentered(x, mean_f, z);
  }
  const Eigen::MatrixXd b_transposed = TransposeTimesCentered(x, mean_f, Orthonormalize(y));
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(b_transposed, Eigen::ComputeThinU);
  Directions out;
  out.vectors = svd.matrixU().leftCols(components);
  out.variances = svd.singularValues().head(components).array().square();
  out.total_scatter = CenteredSquares(x, mean_f);
  return out;
}

// The same subspace through G = A^T A, then Rayleigh-Ritz.
Directions FitOnScatter(const DataRef& x, const Eigen::VectorXd& mean, Eigen::MatrixXd omega,
                        int64_t components, int64_t power_iterations) {
  const Eigen::MatrixXd scatter = CenteredScatter(x, mean);
  Eigen::MatrixXd z = std::move(omega);
  for (int64_t i = 0; i <= power_iterations; ++i) z = Orthonormalize(scatter * z);
  const Eigen::MatrixXd projected = z.transpose() * (scatter * z);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ritz(projected);
  if (ritz.info() != Eigen::Success) {
    throw pipeline::StageError("pca: the Rayleigh-Ritz eigensolver did not converge "
                               "(is the input finite?)");
  }
  Directions out;
  // Ascending eigenvalues: the top `components` are the last columns, reversed.
  out.vectors = z * ritz.eigenvectors().rightCols(components).rowwise().reverse();
  out.variances = ritz.eigenvalues().tail(components).reverse();
  out.total_scatter = scatter.trace();
  return out;
}

bool UseScatter(RandomizedPcaOptions::Operand operand, int64_t examples, int64_t dims,
                int64_t width, int64_t power_iterations) {
  if (operand != RandomizedPcaOptions::Operand::kAuto) {
    return operand == RandomizedPcaOptions::Operand::kScatter;
  }
  if (dims > kMaxScatterDims) return false;
  const double n = static_cast<double>(examples), d = static_cast<double>(dims);
  const double l = static_cast<double>(width), q = static_cast<double>(power_iterations);
  const double scatter_flops = n * d * d + (q + 2) * 2 * d * d * l;
  const double data_flops = (2 * q + 3) * 2 * n * d * l;
  return scatter_flops <= data_flops;
}

}  // namespace

int64_t AutoPowerIterations(int64_t examples, int64_t dims, int64_t components) {
  return static_cast<double>(components) < 0.1 * static_cast<double>(std::min(examples, dims))
             ? 7
             : 4;
}

PcaModel FitRandomizedPca(const DataRef& x, int64_t components,
                          const RandomizedPcaOptions& options, pipeline::Rng& rng) {
  CheckPcaShape(x.rows(), x.cols(), components);
  if (options.oversamples < 0 || options.power_iterations < -1) {
    throw pipeline::StageError("pca: n_oversamples = " + std::to_string(options.oversamples) +
                               " and n_iter = " + std::to_string(options.power_iterations) +
                               "; use n_oversamples >= 0 and n_iter >= 0 (or -1 for auto)");
  }
  const int64_t power_iterations = options.power_iterations >= 0
                                       ? options.power_iterations
                                       : AutoPowerIterations(x.rows(), x.cols(), components);
  const int64_t width = std::min<int64_t>(x.cols(), components + options.oversamples);
  Eigen::VectorXd mean = ColumnMeans(x);
  Eigen::MatrixXd omega = GaussianMatrix(x.cols(), width, rng);

  const Directions directions =
      UseScatter(options.operand, x.rows(), x.cols(), width, power_iterations)
          ? FitOnScatter(x, mean, std::move(omega), components, power_iterations)
          : FitOnData(x, mean, std::move(omega), components, power_iterations);
  const double dof = static_cast<double>(x.rows() - 1);
  return AssemblePcaModel(std::move(mean), directions.vectors, directions.variances / dof,
                          directions.total_scatter / dof);
}

}  // namespace stages
