#include "stages/reduce/scatter_matrix.h"

#include <catch2/catch.hpp>

#include "pipeline/rng.h"
#include "tests/stages/stage_harness.h"

using pipeline::RowMatrixXf;

TEST_CASE("the scatter matrix of offset data matches a double-precision reference",
          "[scatter_matrix]") {
  // A large common offset (1000) and a spread of about 1: the form sum(x x^T) - N m m^T would
  // lose every digit in float; centring each block first keeps ~6.
  pipeline::Rng rng(3);
  RowMatrixXf x(2500, 7);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    x.data()[i] = static_cast<float>(1000.0 + rng.Normal() * (1 + i % 7));
  }
  const Eigen::MatrixXd exact_x = x.cast<double>();
  const Eigen::VectorXd mean = stages::ColumnMeans(x);
  CHECK((mean - exact_x.colwise().mean().transpose()).norm() < 1e-9);
  const Eigen::MatrixXd centered = exact_x.rowwise() - mean.transpose();
  const Eigen::MatrixXd reference = centered.transpose() * centered;

  const Eigen::MatrixXd scatter = stages::CenteredScatter(x, mean);
  CHECK(scatter == scatter.transpose());
  CHECK((scatter - reference).cwiseAbs().maxCoeff() < 1e-5 * reference.diagonal().maxCoeff());
}

TEST_CASE("the scatter matrix is identical with 1 and 2 threads",
          "[scatter_matrix][determinism]") {
  pipeline::Rng rng(4);
  RowMatrixXf x(9000, 16);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.Normal());
  const auto scatter = [&] { return stages::CenteredScatter(x, stages::ColumnMeans(x)); };
  CHECK(stage_testing::InArena(1, scatter) == stage_testing::InArena(2, scatter));
}
