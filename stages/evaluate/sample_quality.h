#pragma once
// Sample quality of a generative model, measured in the feature space of a classifier trained
// in the same study (FID's idea with a small in-study network instead of Inception):
//
//   Fréchet distance  d^2 = |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))
//                     between Gaussians fitted to the features of two sets (rows = examples);
//                     0 for identical sets. Tr((S_a S_b)^(1/2)) is computed as the sum of the
//                     square roots of the eigenvalues of S_a^(1/2) S_b S_a^(1/2), which is
//                     symmetric, so one self-adjoint eigen solver suffices.
//   class-entropy score  exp(E_x KL(p(y|x) || p(y))) from the classifier's class probabilities:
//                     1 when every image gets the same prediction, the number of classes when
//                     each image is confidently one class and the classes are used evenly
//                     (the "inception score").
//
// Covariances are the unbiased sample covariances (divide by n - 1), in double precision.
// Pure functions; thread-safe.

#include <Eigen/Core>

namespace stages {

struct GaussianFit {
  Eigen::VectorXd mean;
  Eigen::MatrixXd covariance;
};

// Needs at least two rows.
GaussianFit FitGaussian(const Eigen::MatrixXd& features);

double FrechetDistance(const GaussianFit& a, const GaussianFit& b);

// `probabilities`: one row per example, summing to 1.
double ClassEntropyScore(const Eigen::MatrixXd& probabilities);

}  // namespace stages
