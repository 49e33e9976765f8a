#include "stages/reduce/pca.h"

// Implementation notes
// - The covariance comes from stages/reduce/scatter_matrix.h (float blocks, double sums).
// - Eigen's SelfAdjointEigenSolver computes all D eigenvectors; for D = 784 that is ~0.4 s of
//   one core, most of it accumulating the rotations of the QR iterations. Only the lower
//   triangle is read.
// - PcaTransform centres each block in float and multiplies in float: the projection of pixel
//   data needs no more than float's 24 bits, and the float GEMM is twice as fast.

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>

#include "pipeline/errors.h"
#include "stages/common/row_blocks.h"
#include "stages/reduce/randomized_pca.h"
#include "stages/reduce/scatter_matrix.h"

namespace stages {
namespace {

constexpr int64_t kTransformBlockRows = 1024;
constexpr double kNegligibleVariance = 1e-12;

// Flips the vector so that its entry of largest magnitude (the first, on ties) is positive.
void FixSign(Eigen::Ref<Eigen::RowVectorXd> component) {
  Eigen::Index largest = 0;
  for (Eigen::Index i = 1; i < component.size(); ++i) {
    if (std::abs(component(i)) > std::abs(component(largest))) largest = i;
  }
  if (component(largest) < 0) component = -component;
}

}  // namespace

PcaSolver ParsePcaSolver(const std::string& name) {
  if (name == "auto") return PcaSolver::kAuto;
  if (name == "exact") return PcaSolver::kExact;
  if (name == "randomized") return PcaSolver::kRandomized;
  throw pipeline::StageError("pca: solver '" + name +
                             "' is not one of auto, exact, randomized");
}

const char* PcaSolverName(PcaSolver solver) {
  switch (solver) {
    case PcaSolver::kAuto: return "auto";
    case PcaSolver::kExact: return "exact";
    case PcaSolver::kRandomized: return "randomized";
  }
  return "?";
}

PcaSolver ResolvePcaSolver(PcaSolver solver, int64_t examples, int64_t dims, int64_t components) {
  if (solver != PcaSolver::kAuto) return solver;
  const int64_t smaller = std::min(examples, dims);
  if (std::max(examples, dims) > 500 && static_cast<double>(components) < 0.8 * smaller) {
    return PcaSolver::kRandomized;
  }
  return PcaSolver::kExact;
}

void CheckPcaShape(int64_t examples, int64_t dims, int64_t components) {
  if (components < 1 || components > dims) {
    throw pipeline::StageError("pca: components = " + std::to_string(components) +
                               " but the input has " + std::to_string(dims) +
                               " features per example; choose components in 1.." +
                               std::to_string(dims));
  }
  if (examples < 2) {
    throw pipeline::StageError("pca: needs at least 2 examples to estimate a covariance, got " +
                               std::to_string(examples));
  }
}

PcaModel AssemblePcaModel(Eigen::VectorXd mean, const Eigen::MatrixXd& vectors,
                          const Eigen::VectorXd& variances, double total_variance) {
  const Eigen::Index components = vectors.cols();
  PcaModel model;
  model.mean = std::move(mean);
  model.total_variance = total_variance;
  model.components = vectors.transpose();
  model.explained_variance.resize(components);
  model.explained_variance_ratio.resize(components);
  for (Eigen::Index c = 0; c < components; ++c) {
    // Rounding can leave a zero eigenvalue slightly negative; a variance is never negative.
    const double variance = std::max(0.0, variances(c));
    model.explained_variance(c) = variance;
    model.explained_variance_ratio(c) = total_variance > 0 ? variance / total_variance : 0.0;
    FixSign(model.components.row(c));
  }
  return model;
}

PcaModel FitPca(const Eigen::Ref<const pipeline::RowMatrixXf>& x, int64_t components) {
  CheckPcaShape(x.rows(), x.cols(), components);
  Eigen::VectorXd mean = ColumnMeans(x);
  const Eigen::MatrixXd covariance =
      CenteredScatter(x, mean) / static_cast<double>(x.rows() - 1);

  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
  if (solver.info() != Eigen::Success) {
    throw pipeline::StageError("pca: the eigensolver did not converge (is the input finite?)");
  }
  // Eigen returns eigenvalues in increasing order; take the largest `components` from the end.
  const Eigen::MatrixXd vectors = solver.eigenvectors().rightCols(components).rowwise().reverse();
  const Eigen::VectorXd variances = solver.eigenvalues().tail(components).reverse();
  return AssemblePcaModel(std::move(mean), vectors, variances, covariance.trace());
}

PcaModel FitPca(const Eigen::Ref<const pipeline::RowMatrixXf>& x, const PcaOptions& options,
                pipeline::Rng& rng) {
  switch (ResolvePcaSolver(options.solver, x.rows(), x.cols(), options.components)) {
    case PcaSolver::kRandomized: {
      RandomizedPcaOptions randomized;
      randomized.power_iterations = options.power_iterations;
      randomized.oversamples = options.oversamples;
      return FitRandomizedPca(x, options.components, randomized, rng);
    }
    case PcaSolver::kAuto:
    case PcaSolver::kExact:
      break;
  }
  return FitPca(x, options.components);
}

pipeline::RowMatrixXf PcaTransform(const PcaModel& model,
                                   const Eigen::Ref<const pipeline::RowMatrixXf>& x, bool whiten) {
  if (x.cols() != model.mean.size()) {
    throw pipeline::StageError("pca: the model was fitted on " + std::to_string(model.mean.size()) +
                               " features but the data has " + std::to_string(x.cols()));
  }
  const Eigen::Index components = model.components.rows();
  Eigen::VectorXd scale = Eigen::VectorXd::Ones(components);
  if (whiten) {
    const double largest = components > 0 ? model.explained_variance(0) : 0.0;
    for (Eigen::Index c = 0; c < components; ++c) {
      const double variance = model.explained_variance(c);
      scale(c) = variance > kNegligibleVariance * largest ? 1.0 / std::sqrt(variance) : 0.0;
    }
  }
  // Folding the scale into the projection matrix keeps the per-block work one product.
  const Eigen::MatrixXf projection =
      (model.components.transpose() * scale.asDiagonal()).cast<float>();
  const Eigen::RowVectorXf mean = model.mean.transpose().cast<float>();

  pipeline::RowMatrixXf out(x.rows(), components);
  ForEachRowBlock(x.rows(), kTransformBlockRows, [&](int64_t begin, int64_t end) {
    const pipeline::RowMatrixXf centered = x.middleRows(begin, end - begin).rowwise() - mean;
    out.middleRows(begin, end - begin).noalias() = centered * projection;
  });
  return out;
}

}  // namespace stages
