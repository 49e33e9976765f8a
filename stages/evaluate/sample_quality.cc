#include "stages/evaluate/sample_quality.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <Eigen/Eigenvalues>

namespace stages {
namespace {

// The symmetric square root of a covariance (negative round-off eigenvalues count as 0).
Eigen::MatrixXd SymmetricSqrt(const Eigen::MatrixXd& matrix) {
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(matrix);
  const Eigen::VectorXd roots = solver.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return solver.eigenvectors() * roots.asDiagonal() * solver.eigenvectors().transpose();
}

}  // namespace

GaussianFit FitGaussian(const Eigen::MatrixXd& features) {
  if (features.rows() < 2) {
    throw std::invalid_argument("FitGaussian needs at least two examples");
  }
  GaussianFit fit;
  fit.mean = features.colwise().mean().transpose();
  const Eigen::MatrixXd centred = features.rowwise() - fit.mean.transpose();
  fit.covariance = centred.transpose() * centred / static_cast<double>(features.rows() - 1);
  return fit;
}

double FrechetDistance(const GaussianFit& a, const GaussianFit& b) {
  if (a.mean.size() != b.mean.size()) {
    throw std::invalid_argument("FrechetDistance: feature sizes differ");
  }
  const Eigen::MatrixXd root_a = SymmetricSqrt(a.covariance);
  const Eigen::MatrixXd middle = root_a * b.covariance * root_a;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(
      (middle + middle.transpose()) / 2.0, Eigen::EigenvaluesOnly);
  const double cross = solver.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  const double distance = (a.mean - b.mean).squaredNorm() + a.covariance.trace() +
                          b.covariance.trace() - 2.0 * cross;
  return std::max(0.0, distance);  // round-off can leave -1e-12 for identical sets
}

double ClassEntropyScore(const Eigen::MatrixXd& probabilities) {
  if (probabilities.rows() == 0) return 1.0;
  const Eigen::RowVectorXd marginal = probabilities.colwise().mean();
  double kl_sum = 0;
  for (Eigen::Index i = 0; i < probabilities.rows(); ++i) {
    for (Eigen::Index c = 0; c < probabilities.cols(); ++c) {
      const double p = probabilities(i, c);
      if (p > 0) kl_sum += p * (std::log(p) - std::log(marginal(c)));
    }
  }
  return std::exp(kl_sum / static_cast<double>(probabilities.rows()));
}

}  // namespace stages
