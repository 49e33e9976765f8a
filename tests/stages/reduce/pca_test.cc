#include "stages/reduce/pca.h"

#include <Eigen/QR>
#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "pipeline/rng.h"
#include "stages/reduce/reduce_stage.h"
#include "tests/stages/stage_harness.h"

using pipeline::RowMatrixXd;
using pipeline::RowMatrixXf;
using stage_testing::InArena;

namespace {

// N points sum_k z_k stddev_k axis_k + offset with z ~ N(0, 1), for orthonormal rows `axes`.
RowMatrixXf AlongAxes(const RowMatrixXd& axes, const Eigen::VectorXd& stddevs,
                      const Eigen::RowVectorXd& offset, Eigen::Index n, uint64_t seed) {
  pipeline::Rng rng(seed);
  RowMatrixXf x(n, axes.cols());
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::RowVectorXd point = offset;
    for (Eigen::Index k = 0; k < axes.rows(); ++k) point += rng.Normal() * stddevs(k) * axes.row(k);
    x.row(i) = point.cast<float>();
  }
  return x;
}

// A fixed orthonormal basis of R^d (QR of a seeded Gaussian matrix), one vector per row.
RowMatrixXd RandomBasis(Eigen::Index d, uint64_t seed) {
  pipeline::Rng rng(seed);
  Eigen::MatrixXd g(d, d);
  for (Eigen::Index i = 0; i < g.size(); ++i) g.data()[i] = rng.Normal();
  const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
  return q.transpose();
}

RowMatrixXf RandomData(Eigen::Index n, Eigen::Index d, uint64_t seed) {
  pipeline::Rng rng(seed);
  RowMatrixXf x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    x.data()[i] =
        static_cast<float>(rng.Normal(static_cast<double>(i % d), static_cast<double>(1 + i % 3)));
  }
  return x;
}

}  // namespace

TEST_CASE("PCA matches a hand-computed decomposition", "[pca]") {
  // Points +-2 u and +-1 v around (1, -2) with u = (0.8, 0.6), v = (-0.6, 0.8). The covariance
  // (divided by N - 1 = 3) has eigenvalues 8/3 along u and 2/3 along v; v's largest entry is
  // 0.8, so the sign convention keeps it as written.
  RowMatrixXf x(4, 2);
  x << 2.6f, -0.8f,  //  2u
      -0.6f, -3.2f,  // -2u
      0.4f, -1.2f,   //  v
      1.6f, -2.8f;   // -v
  const stages::PcaModel model = stages::FitPca(x, 2);

  CHECK(model.mean(0) == Approx(1.0));
  CHECK(model.mean(1) == Approx(-2.0));
  CHECK(model.explained_variance(0) == Approx(8.0 / 3));
  CHECK(model.explained_variance(1) == Approx(2.0 / 3));
  CHECK(model.explained_variance_ratio(0) == Approx(0.8));
  CHECK(model.explained_variance_ratio(1) == Approx(0.2));
  CHECK(model.components(0, 0) == Approx(0.8));
  CHECK(model.components(0, 1) == Approx(0.6));
  CHECK(model.components(1, 0) == Approx(-0.6));
  CHECK(model.components(1, 1) == Approx(0.8));

  const RowMatrixXf projected = stages::PcaTransform(model, x, /*whiten=*/false);
  const std::vector<std::pair<float, float>> expected = {{2, 0}, {-2, 0}, {0, 1}, {0, -1}};
  for (Eigen::Index i = 0; i < 4; ++i) {
    CHECK(projected(i, 0) == Approx(expected[static_cast<size_t>(i)].first).margin(1e-6));
    CHECK(projected(i, 1) == Approx(expected[static_cast<size_t>(i)].second).margin(1e-6));
  }
}

TEST_CASE("PCA recovers the axes data was drawn along", "[pca]") {
  const RowMatrixXd axes = RandomBasis(5, 3);
  Eigen::VectorXd stddevs(5);
  stddevs << 6.0, 3.0, 1.5, 0.5, 0.1;
  Eigen::RowVectorXd offset(5);
  offset << 10, -4, 2, 0, 7;
  const RowMatrixXf x = AlongAxes(axes, stddevs, offset, 4000, 11);

  const stages::PcaModel model = stages::FitPca(x, 3);
  CHECK((model.mean.transpose() - offset).norm() < 0.3);
  for (Eigen::Index k = 0; k < 3; ++k) {
    CHECK(std::abs(model.components.row(k).dot(axes.row(k))) > 0.999);
    CHECK(model.explained_variance(k) == Approx(stddevs(k) * stddevs(k)).epsilon(0.08));
  }
  // Rows are orthonormal.
  const Eigen::MatrixXd gram = model.components * model.components.transpose();
  CHECK((gram - Eigen::MatrixXd::Identity(3, 3)).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("PCA explained variance ratios sum to one with all components", "[pca]") {
  const RowMatrixXf x = RandomData(300, 6, 5);
  const stages::PcaModel model = stages::FitPca(x, 6);
  CHECK(model.explained_variance_ratio.sum() == Approx(1.0).epsilon(1e-12));
  for (Eigen::Index k = 1; k < 6; ++k) {
    CHECK(model.explained_variance(k) <= model.explained_variance(k - 1));
  }
}

TEST_CASE("PCA makes the largest entry of every component positive", "[pca]") {
  const stages::PcaModel model = stages::FitPca(RandomData(200, 7, 8), 7);
  for (Eigen::Index k = 0; k < 7; ++k) {
    Eigen::Index largest = 0;
    model.components.row(k).cwiseAbs().maxCoeff(&largest);
    CHECK(model.components(k, largest) > 0);
  }
}

TEST_CASE("PCA whitening gives unit-variance outputs", "[pca]") {
  const RowMatrixXf x = RandomData(500, 4, 2);
  const stages::PcaModel model = stages::FitPca(x, 3);
  const RowMatrixXf white = stages::PcaTransform(model, x, /*whiten=*/true);
  for (Eigen::Index k = 0; k < 3; ++k) {
    const Eigen::VectorXd column = white.col(k).cast<double>();
    const double variance = (column.array() - column.mean()).square().sum() / (500 - 1);
    CHECK(variance == Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("PCA gives identical results with 1 and 2 threads", "[pca][determinism]") {
  // 79 row blocks: enough work that the second thread takes part in the reduction.
  const RowMatrixXf x = RandomData(20000, 40, 4);
  const auto fit = [&] {
    const stages::PcaModel model = stages::FitPca(x, 5);
    return std::make_pair(model, stages::PcaTransform(model, x, true));
  };
  const auto one = InArena(1, fit);
  const auto two = InArena(2, fit);
  CHECK(one.first.mean == two.first.mean);
  CHECK(one.first.components == two.first.components);
  CHECK(one.first.explained_variance == two.first.explained_variance);
  CHECK(one.second == two.second);
}

TEST_CASE("PCA rejects more components than features and too few examples", "[pca]") {
  CHECK_THROWS_AS(stages::FitPca(RandomData(10, 3, 1), 4), pipeline::StageError);
  CHECK_THROWS_AS(stages::FitPca(RandomData(1, 3, 1), 2), pipeline::StageError);
}

TEST_CASE("pca stage projects x and passes the other tensors through", "[pca]") {
  pipeline::Tensor x(pipeline::DType::kFloat32, {50, 2, 3});  // read as 50 x 6
  x.MatrixF() = RandomData(50, 6, 3);
  const std::vector<int32_t> labels(50, 1);
  const pipeline::ArtifactPtr input =
      stage_testing::MakeArtifact({{"x", x}, {"y", pipeline::Tensor::FromVector(labels)}});
  stage_testing::StageHarness harness(stages::PcaStage());

  const pipeline::Artifact& out = harness.Run({{"components", 3}}, {input});
  CHECK(out.Get("x").shape() == std::vector<int64_t>{50, 3});
  CHECK(out.Get("y").ToIntVector() == labels);
  CHECK(out.Get("pca_mean").shape() == std::vector<int64_t>{6});
  CHECK(out.Get("pca_components").shape() == std::vector<int64_t>{3, 6});
  CHECK(out.Get("pca_explained_variance").shape() == std::vector<int64_t>{3});

  const stages::PcaModel model = stages::FitPca(x.MatrixF(), 3);
  CHECK(out.Get("x").MatrixF() == stages::PcaTransform(model, x.MatrixF(), false));
  std::vector<int64_t> steps;
  for (const auto& row : harness.metrics().rows()) {
    if (row.name == "explained_variance_ratio") steps.push_back(row.step);
  }
  CHECK(steps == std::vector<int64_t>{0, 1, 2});
  CHECK(harness.metrics().Values("explained_variance_total")[0] ==
        Approx(model.explained_variance_ratio.sum()));

  CHECK_THROWS_AS(harness.Run({{"components", 7}}, {input}), pipeline::StageError);
}

TEST_CASE("pca stage fits on the first input and projects the second", "[pca]") {
  pipeline::Tensor train_x(pipeline::DType::kFloat32, {300, 5});
  train_x.MatrixF() = RandomData(300, 5, 21);
  pipeline::Tensor test_x(pipeline::DType::kFloat32, {40, 1, 5});  // read as 40 x 5
  test_x.MatrixF() = RandomData(40, 5, 22);
  std::vector<int32_t> test_labels(40), test_ids(40);
  for (int32_t i = 0; i < 40; ++i) {
    test_labels[static_cast<size_t>(i)] = i % 3;
    test_ids[static_cast<size_t>(i)] = 1000 + i;
  }
  const pipeline::ArtifactPtr train = stage_testing::MakeArtifact(
      {{"x", train_x}, {"y", pipeline::Tensor::FromVector(std::vector<int32_t>(300, 7))}});
  auto test = std::make_shared<pipeline::Artifact>();
  test->Put("x", test_x);
  test->Put("y", pipeline::Tensor::FromVector(test_labels));
  test->Put("ids", pipeline::Tensor::FromVector(test_ids));
  test->meta()["split"] = "test";
  stage_testing::StageHarness harness(stages::PcaStage());

  const pipeline::Artifact& out =
      harness.Run({{"components", 2}, {"whiten", true}}, {train, test});
  REQUIRE(out.Get("x").shape() == std::vector<int64_t>{40, 2});
  CHECK(out.Get("y").ToIntVector() == test_labels);
  CHECK(out.Get("ids").ToIntVector() == test_ids);
  CHECK(out.meta()["split"] == "test");

  // The model is the one fitted on the training rows ...
  const stages::PcaModel model = stages::FitPca(train_x.MatrixF(), 2);
  const Eigen::Map<const RowMatrixXd> mean(out.Get("pca_mean").f64(), 1, 5);
  const Eigen::Map<const RowMatrixXd> components = out.Get("pca_components").MatrixD();
  CHECK((mean.transpose() - model.mean).norm() < 1e-12);
  CHECK((components - model.components).norm() < 1e-12);
  // ... and x is the test rows projected by hand with the stored mean and components.
  const Eigen::Map<const Eigen::VectorXd> variance(out.Get("pca_explained_variance").f64(), 2);
  const RowMatrixXd manual =
      ((test_x.MatrixF().cast<double>().rowwise() - mean.row(0)) * components.transpose()) *
      variance.cwiseSqrt().cwiseInverse().asDiagonal();
  CHECK((out.Get("x").MatrixF().cast<double>() - manual).cwiseAbs().maxCoeff() < 1e-5);
  // Metrics describe the fitted (training) data.
  CHECK(harness.metrics().Values("explained_variance_total")[0] ==
        Approx(model.explained_variance_ratio.sum()));
}

TEST_CASE("pca stage runs the randomized solver from its rng", "[pca]") {
  pipeline::Tensor x(pipeline::DType::kFloat32, {600, 10});  // auto: max(N, D) > 500
  x.MatrixF() = RandomData(600, 10, 13);
  const pipeline::ArtifactPtr input = stage_testing::MakeArtifact({{"x", x}});
  stage_testing::StageHarness harness(stages::PcaStage());
  CHECK(harness.type().uses_rng);

  const RowMatrixXf first = harness.Run({{"components", 3}}, {input}, /*seed=*/5).Get("x").MatrixF();
  CHECK(harness.Run({{"components", 3}}, {input}, 5).meta()["pca_solver"] == "randomized");
  const RowMatrixXf again = harness.Run({{"components", 3}}, {input}, 5).Get("x").MatrixF();
  CHECK(first == again);

  const pipeline::Artifact& exact =
      harness.Run({{"components", 3}, {"solver", "exact"}}, {input}, 5);
  CHECK(exact.meta()["pca_solver"] == "exact");
  // Up to the solvers' rounding, the same projection.
  CHECK((exact.Get("x").MatrixF() - first).cwiseAbs().maxCoeff() < 1e-3);
}
