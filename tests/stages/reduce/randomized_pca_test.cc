#include "stages/reduce/randomized_pca.h"

#include <Eigen/QR>
#include <Eigen/SVD>
#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "pipeline/rng.h"
#include "stages/reduce/pca.h"
#include "tests/stages/stage_harness.h"

using pipeline::RowMatrixXd;
using pipeline::RowMatrixXf;
using stage_testing::InArena;
using Operand = stages::RandomizedPcaOptions::Operand;

namespace {

// N points with independent coordinates along a random orthonormal basis of R^d whose standard
// deviations decay geometrically (3 * 0.8^k), around an offset of 5 in every feature.
RowMatrixXf DecayingSpectrum(Eigen::Index n, Eigen::Index d, uint64_t seed) {
  pipeline::Rng rng(seed);
  Eigen::MatrixXd g(d, d);
  for (Eigen::Index i = 0; i < g.size(); ++i) g.data()[i] = rng.Normal();
  const Eigen::MatrixXd basis = Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
  RowMatrixXf x(n, d);
  Eigen::VectorXd z(d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index k = 0; k < d; ++k) z(k) = rng.Normal() * 3.0 * std::pow(0.8, k);
    x.row(i) = (basis * z).transpose().cast<float>().array() + 5.0f;
  }
  return x;
}

// Cosine of the largest principal angle between the row spaces of a and b (orthonormal rows).
double SmallestSubspaceCosine(const RowMatrixXd& a, const RowMatrixXd& b) {
  const Eigen::MatrixXd overlap = a * b.transpose();
  return Eigen::JacobiSVD<Eigen::MatrixXd>(overlap).singularValues().minCoeff();
}

stages::PcaModel Randomized(const RowMatrixXf& x, int64_t components, Operand operand,
                            uint64_t seed = 1) {
  stages::RandomizedPcaOptions options;
  options.operand = operand;
  pipeline::Rng rng(seed);
  return stages::FitRandomizedPca(x, components, options, rng);
}

}  // namespace

TEST_CASE("randomized PCA matches exact PCA on a decaying spectrum", "[randomized_pca]") {
  const RowMatrixXf x = DecayingSpectrum(3000, 60, 7);
  const stages::PcaModel exact = stages::FitPca(x, 6);
  for (const Operand operand : {Operand::kData, Operand::kScatter}) {
    INFO("operand " << (operand == Operand::kData ? "data" : "scatter"));
    const stages::PcaModel randomized = Randomized(x, 6, operand);
    CHECK(SmallestSubspaceCosine(randomized.components, exact.components) > 1 - 1e-8);
    for (Eigen::Index k = 0; k < 6; ++k) {
      // Same sign convention, so the vectors themselves agree, not only their spans.
      CHECK((randomized.components.row(k) - exact.components.row(k)).norm() < 1e-4);
      CHECK(randomized.explained_variance(k) ==
            Approx(exact.explained_variance(k)).epsilon(1e-6));
    }
    CHECK(randomized.total_variance == Approx(exact.total_variance).epsilon(1e-6));
    CHECK((randomized.mean - exact.mean).norm() == 0.0);
    const Eigen::MatrixXd gram = randomized.components * randomized.components.transpose();
    CHECK((gram - Eigen::MatrixXd::Identity(6, 6)).cwiseAbs().maxCoeff() < 1e-12);
  }
}

TEST_CASE("randomized PCA without power iterations still finds the leading component",
          "[randomized_pca]") {
  // q = 0 is Halko's plain range finder: rougher, but a dominant direction is still found.
  const RowMatrixXf x = DecayingSpectrum(2000, 40, 3);
  const stages::PcaModel exact = stages::FitPca(x, 1);
  stages::RandomizedPcaOptions options;
  options.power_iterations = 0;
  pipeline::Rng rng(4);
  const stages::PcaModel randomized = stages::FitRandomizedPca(x, 1, options, rng);
  CHECK(std::abs(randomized.components.row(0).dot(exact.components.row(0))) > 0.99);
}

TEST_CASE("randomized PCA whitening gives unit-variance outputs", "[randomized_pca]") {
  const RowMatrixXf x = DecayingSpectrum(1500, 30, 9);
  for (const Operand operand : {Operand::kData, Operand::kScatter}) {
    const stages::PcaModel model = Randomized(x, 4, operand);
    const RowMatrixXf white = stages::PcaTransform(model, x, /*whiten=*/true);
    for (Eigen::Index k = 0; k < 4; ++k) {
      const Eigen::VectorXd column = white.col(k).cast<double>();
      CHECK(std::abs(column.mean()) < 1e-5);
      const double variance = (column.array() - column.mean()).square().sum() / (1500 - 1);
      CHECK(variance == Approx(1.0).epsilon(1e-4));
    }
  }
}

TEST_CASE("randomized PCA gives identical results with 1 and 2 threads",
          "[randomized_pca][determinism]") {
  // 20 blocks of 1024 rows: the second thread takes part in every reduction.
  const RowMatrixXf x = DecayingSpectrum(20000, 48, 5);
  for (const Operand operand : {Operand::kData, Operand::kScatter}) {
    const auto fit = [&] { return Randomized(x, 5, operand, 12); };
    const stages::PcaModel one = InArena(1, fit);
    const stages::PcaModel two = InArena(2, fit);
    CHECK(one.components == two.components);
    CHECK(one.explained_variance == two.explained_variance);
    CHECK(one.total_variance == two.total_variance);
  }
}

TEST_CASE("randomized PCA draws from the rng it is given", "[randomized_pca]") {
  const RowMatrixXf x = DecayingSpectrum(500, 20, 2);
  const stages::PcaModel first = Randomized(x, 3, Operand::kData, 5);
  const stages::PcaModel again = Randomized(x, 3, Operand::kData, 5);
  const stages::PcaModel other = Randomized(x, 3, Operand::kData, 6);
  CHECK(first.components == again.components);
  CHECK(first.components != other.components);  // different test matrix, last bits differ
  CHECK((first.components - other.components).norm() < 1e-4);
}

TEST_CASE("randomized PCA copes with fewer directions in the data than requested",
          "[randomized_pca]") {
  // Rank-2 data in 12 features with l = 3 + 10 > rank: QR keeps the basis orthonormal.
  RowMatrixXf x(200, 12);
  pipeline::Rng rng(8);
  for (Eigen::Index i = 0; i < 200; ++i) {
    const double a = rng.Normal(), b = rng.Normal();
    for (Eigen::Index j = 0; j < 12; ++j) x(i, j) = static_cast<float>(a * j - b * (j % 3));
  }
  for (const Operand operand : {Operand::kData, Operand::kScatter}) {
    const stages::PcaModel model = Randomized(x, 3, operand);
    CHECK(model.explained_variance.allFinite());
    CHECK(model.explained_variance(2) < 1e-6 * model.explained_variance(0));
    CHECK(model.explained_variance_ratio.head(2).sum() == Approx(1.0).epsilon(1e-6));
  }
}

TEST_CASE("PCA solver auto follows scikit-learn's rule", "[randomized_pca]") {
  using stages::PcaSolver;
  using stages::ResolvePcaSolver;
  CHECK(ResolvePcaSolver(PcaSolver::kAuto, 60000, 784, 50) == PcaSolver::kRandomized);
  CHECK(ResolvePcaSolver(PcaSolver::kAuto, 60000, 784, 627) == PcaSolver::kRandomized);
  CHECK(ResolvePcaSolver(PcaSolver::kAuto, 60000, 784, 628) == PcaSolver::kExact);  // >= 0.8 D
  CHECK(ResolvePcaSolver(PcaSolver::kAuto, 500, 300, 2) == PcaSolver::kExact);  // max <= 500
  CHECK(ResolvePcaSolver(PcaSolver::kExact, 60000, 784, 2) == PcaSolver::kExact);
  CHECK(ResolvePcaSolver(PcaSolver::kRandomized, 10, 3, 3) == PcaSolver::kRandomized);
  CHECK(stages::AutoPowerIterations(60000, 784, 50) == 7);
  CHECK(stages::AutoPowerIterations(60000, 784, 79) == 4);
  CHECK(stages::ParsePcaSolver("randomized") == PcaSolver::kRandomized);
  CHECK_THROWS_AS(stages::ParsePcaSolver("arpack"), pipeline::StageError);
}
