#include "stages/reduce/pca.h"

// Implementation notes
// - Two passes over the data: the mean, then the scatter matrix of the centred rows. The
//   one-pass form sum(x x^T) - N mean mean^T loses precision when the mean is large compared
//   with the spread (catastrophic cancellation), and features such as pixel intensities have
//   exactly that shape.
// - The scatter matrix is symmetric, so each block adds only its lower triangle
//   (selfadjointView::rankUpdate), which halves the O(N D^2) work. The eigensolver reads only
//   the lower triangle as well.
// - Blocks are converted to double one at a time, so the extra memory is one block, not a copy
//   of the data set.

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>

#include "pipeline/errors.h"
#include "stages/common/row_blocks.h"

namespace stages {
namespace {

constexpr int64_t kBlockRows = 256;
constexpr double kNegligibleVariance = 1e-12;

Eigen::VectorXd ColumnMeans(const Eigen::Ref<const pipeline::RowMatrixXf>& x) {
  const Eigen::VectorXd sums = ReduceRowBlocks(
      x.rows(), kBlockRows, Eigen::VectorXd::Zero(x.cols()).eval(),
      [&](int64_t begin, int64_t end, Eigen::VectorXd& partial) {
        partial += x.middleRows(begin, end - begin).cast<double>().colwise().sum().transpose();
      });
  return sums / static_cast<double>(x.rows());
}

// sum over rows of (x_i - mean)(x_i - mean)^T; only the lower triangle is filled.
Eigen::MatrixXd LowerScatter(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                             const Eigen::VectorXd& mean) {
  const Eigen::Index dims = x.cols();
  return ReduceRowBlocks(x.rows(), kBlockRows, Eigen::MatrixXd::Zero(dims, dims).eval(),
                         [&](int64_t begin, int64_t end, Eigen::MatrixXd& partial) {
                           const Eigen::MatrixXd centered =
                               x.middleRows(begin, end - begin).cast<double>().rowwise() -
                               mean.transpose();
                           partial.selfadjointView<Eigen::Lower>().rankUpdate(centered.transpose());
                         });
}

// Flips the row so that its entry of largest magnitude (the first, on ties) is positive.
void FixSign(Eigen::Ref<Eigen::RowVectorXd> component) {
  Eigen::Index largest = 0;
  for (Eigen::Index i = 1; i < component.size(); ++i) {
    if (std::abs(component(i)) > std::abs(component(largest))) largest = i;
  }
  if (component(largest) < 0) component = -component;
}

}  // namespace

PcaModel FitPca(const Eigen::Ref<const pipeline::RowMatrixXf>& x, int64_t components) {
  const Eigen::Index examples = x.rows();
  const Eigen::Index dims = x.cols();
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

  PcaModel model;
  model.mean = ColumnMeans(x);
  const Eigen::MatrixXd covariance =
      LowerScatter(x, model.mean) / static_cast<double>(examples - 1);
  model.total_variance = covariance.diagonal().sum();

  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
  if (solver.info() != Eigen::Success) {
    throw pipeline::StageError("pca: the eigensolver did not converge (is the input finite?)");
  }
  // Eigen returns eigenvalues in increasing order; take the largest `components` from the end.
  model.components.resize(components, dims);
  model.explained_variance.resize(components);
  model.explained_variance_ratio.resize(components);
  for (Eigen::Index c = 0; c < components; ++c) {
    const Eigen::Index source = dims - 1 - c;
    // Rounding can leave a zero eigenvalue slightly negative; a variance is never negative.
    const double variance = std::max(0.0, solver.eigenvalues()(source));
    model.explained_variance(c) = variance;
    model.explained_variance_ratio(c) =
        model.total_variance > 0 ? variance / model.total_variance : 0.0;
    model.components.row(c) = solver.eigenvectors().col(source).transpose();
    FixSign(model.components.row(c));
  }
  return model;
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
  const Eigen::MatrixXd projection = model.components.transpose() * scale.asDiagonal();

  pipeline::RowMatrixXf out(x.rows(), components);
  ForEachRowBlock(x.rows(), kBlockRows, [&](int64_t begin, int64_t end) {
    const Eigen::MatrixXd centered =
        x.middleRows(begin, end - begin).cast<double>().rowwise() - model.mean.transpose();
    out.middleRows(begin, end - begin) = (centered * projection).cast<float>();
  });
  return out;
}

}  // namespace stages
