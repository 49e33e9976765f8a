#include "stages/cluster/gmm.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include <Eigen/Cholesky>

#include "pipeline/errors.h"
#include "tests/stages/stage_harness.h"

using pipeline::RowMatrixXd;
using pipeline::RowMatrixXf;
using stage_testing::InArena;

namespace {

constexpr double kPi = 3.14159265358979323846;

// A known diagonal mixture in 2-D with well-separated components.
struct Mixture {
  std::vector<double> weights;
  RowMatrixXd means;
  RowMatrixXd stddevs;
};

Mixture ThreeComponents() {
  Mixture mixture;
  mixture.weights = {0.2, 0.3, 0.5};
  mixture.means.resize(3, 2);
  mixture.means << -6.0, 0.0, 0.0, 6.0, 6.0, -2.0;
  mixture.stddevs.resize(3, 2);
  mixture.stddevs << 0.5, 1.0, 1.5, 0.7, 1.0, 1.0;
  return mixture;
}

RowMatrixXf Draw(const Mixture& mixture, int64_t n, uint64_t seed) {
  pipeline::Rng rng(seed);
  RowMatrixXf x(n, mixture.means.cols());
  for (int64_t i = 0; i < n; ++i) {
    const double u = rng.Uniform();
    size_t k = 0;
    double cumulative = mixture.weights[0];
    while (u >= cumulative && k + 1 < mixture.weights.size()) cumulative += mixture.weights[++k];
    for (Eigen::Index d = 0; d < x.cols(); ++d) {
      const auto component = static_cast<Eigen::Index>(k);
      x(i, d) = static_cast<float>(
          rng.Normal(mixture.means(component, d), mixture.stddevs(component, d)));
    }
  }
  return x;
}

// Overlapping clusters in 3-D: long EM runs with real responsibility sharing.
RowMatrixXf OverlappingData(int64_t n, uint64_t seed) {
  pipeline::Rng rng(seed);
  RowMatrixXf x(n, 3);
  for (int64_t i = 0; i < n; ++i) {
    const double shift = static_cast<double>(i % 4) * 1.5;
    x(i, 0) = static_cast<float>(rng.Normal(shift, 1.0));
    x(i, 1) = static_cast<float>(rng.Normal(-shift, 1.2) + 0.5 * x(i, 0));
    x(i, 2) = static_cast<float>(rng.Normal(0.0, 0.8));
  }
  return x;
}

void CheckMonotone(const stages::GmmResult& result) {
  const auto& history = result.nll_history;
  REQUIRE(history.size() == static_cast<size_t>(result.iterations) + 1);
  CHECK(history.back() == result.nll);
  for (size_t t = 1; t < history.size(); ++t) {
    bool reseeded = false;
    for (int64_t r : result.reseed_iterations) reseeded |= (r == static_cast<int64_t>(t));
    if (reseeded) continue;
    INFO("iteration " << t << ": " << history[t - 1] << " -> " << history[t]);
    CHECK(history[t] <= history[t - 1] + 1e-9 * std::abs(history[t - 1]));
  }
}

void CheckFiniteModel(const stages::GmmResult& result) {
  CHECK(result.model.weights.allFinite());
  CHECK(result.model.means.allFinite());
  CHECK(result.model.variances.allFinite());
  CHECK((result.model.variances.array() > 0).all());
  for (const Eigen::MatrixXd& covariance : result.model.covariances) CHECK(covariance.allFinite());
  CHECK(std::isfinite(result.nll));
  CHECK(std::isfinite(result.aic));
  CHECK(std::isfinite(result.bic));
  CHECK(std::abs(result.model.weights.sum() - 1.0) < 1e-12);
}

}  // namespace

TEST_CASE("EM recovers the weights, means and variances of a known diagonal mixture", "[gmm]") {
  const Mixture truth = ThreeComponents();
  const RowMatrixXf x = Draw(truth, 6000, 11);
  stages::GmmOptions options;
  options.components = 3;
  for (const stages::GmmInit init : {stages::GmmInit::kKMeans, stages::GmmInit::kRandom}) {
    options.init = init;
    // Random responsibilities start every component near the data mean, a saddle EM leaves
    // slowly; a tighter tolerance keeps it from stopping there.
    options.tolerance = init == stages::GmmInit::kRandom ? 1e-10 : 1e-5;
    options.max_iterations = 3000;
    INFO("init " << (init == stages::GmmInit::kKMeans ? "kmeans" : "random"));
    stages::GmmResult result = stages::FitGmm(x, options, pipeline::Rng(5));
    stages::SortComponentsByWeight(result);  // the truth is listed by increasing weight
    CHECK(result.converged);
    INFO("iterations " << result.iterations);
    const stages::GmmModel& model = result.model;
    for (Eigen::Index k = 0; k < 3; ++k) {
      INFO("component " << k);
      CHECK(model.weights(k) == Approx(truth.weights[static_cast<size_t>(k)]).margin(0.02));
      for (Eigen::Index d = 0; d < 2; ++d) {
        CHECK(model.means(k, d) == Approx(truth.means(k, d)).margin(0.1));
        const double variance = truth.stddevs(k, d) * truth.stddevs(k, d);
        CHECK(model.variances(k, d) == Approx(variance).epsilon(0.1));
      }
    }
  }
}

TEST_CASE("EM negative log-likelihood never increases, diagonal and full", "[gmm]") {
  for (const auto covariance : {stages::CovarianceType::kDiagonal, stages::CovarianceType::kFull}) {
    for (uint64_t seed = 0; seed < 6; ++seed) {
      const RowMatrixXf x = OverlappingData(1200, 40 + seed);
      stages::GmmOptions options;
      options.components = 5;
      options.covariance = covariance;
      options.tolerance = 1e-9;
      options.max_iterations = 200;
      options.init = seed % 2 == 0 ? stages::GmmInit::kKMeans : stages::GmmInit::kRandom;
      INFO("covariance " << stages::CovarianceTypeName(covariance) << ", seed " << seed);
      const stages::GmmResult result = stages::FitGmm(x, options, pipeline::Rng(seed));
      CHECK(result.iterations > 5);
      CHECK(result.reseed_iterations.empty());
      CheckMonotone(result);
    }
  }
}

TEST_CASE("a constant feature and duplicated points give finite parameters", "[gmm]") {
  RowMatrixXf x = OverlappingData(300, 3);
  x.col(1).setConstant(4.0f);            // constant feature
  x.bottomRows(100).rowwise() = x.row(0);  // one point repeated 101 times
  for (const auto covariance : {stages::CovarianceType::kDiagonal, stages::CovarianceType::kFull}) {
    INFO("covariance " << stages::CovarianceTypeName(covariance));
    stages::GmmOptions options;
    options.components = 6;
    options.covariance = covariance;
    options.restarts = 2;
    const stages::GmmResult result = stages::FitGmm(x, options, pipeline::Rng(9));
    CheckFiniteModel(result);
    CheckMonotone(result);
    // The constant feature's variance is the floor alone.
    CHECK(result.model.variances.col(1).maxCoeff() < 1e-5);
    CHECK(stages::GmmLogDensity(result.model, x).allFinite());
  }
}

TEST_CASE("all examples identical: empty components are re-seeded, nothing is NaN", "[gmm]") {
  const RowMatrixXf x = RowMatrixXf::Constant(20, 3, 2.5f);
  for (const auto covariance : {stages::CovarianceType::kDiagonal, stages::CovarianceType::kFull}) {
    stages::GmmOptions options;
    options.components = 4;
    options.covariance = covariance;
    options.init = stages::GmmInit::kKMeans;
    const stages::GmmResult result = stages::FitGmm(x, options, pipeline::Rng(1));
    CheckFiniteModel(result);
    CHECK((result.model.means.array() - 2.5).abs().maxCoeff() < 1e-12);
  }
}

TEST_CASE("an empty component is re-seeded onto the worst-explained example", "[gmm]") {
  const Mixture truth = ThreeComponents();
  RowMatrixXf x = Draw(truth, 1500, 13);
  x.row(7) << 40.0f, 40.0f;  // an outlier the starting model explains worst
  for (const auto covariance : {stages::CovarianceType::kDiagonal, stages::CovarianceType::kFull}) {
    INFO("covariance " << stages::CovarianceTypeName(covariance));
    stages::GmmModel start;
    start.covariance = covariance;
    start.weights = Eigen::Vector3d(0.2, 0.3, 0.5);
    start.means = truth.means;
    start.means.row(0) << 1000.0, -1000.0;  // no example comes near: responsibility mass 0
    start.variances = RowMatrixXd::Ones(3, 2);
    if (covariance == stages::CovarianceType::kFull) {
      start.covariances.assign(3, Eigen::MatrixXd::Identity(2, 2));
    }
    stages::GmmOptions options;
    const stages::GmmResult result = stages::RefineGmm(x, start, options);
    REQUIRE(result.reseed_iterations.size() == 1);
    CHECK(result.reseed_iterations[0] == 1);
    CheckFiniteModel(result);
    CheckMonotone(result);
    // The re-seeded component keeps the outlier.
    CHECK(result.model.means(0, 0) == Approx(40.0));
    CHECK(result.model.means(0, 1) == Approx(40.0));
    CHECK(result.assignments[7] == 0);
    CHECK(result.model.weights(0) == Approx(1.0 / 1500).epsilon(1e-6));
  }
}

TEST_CASE("as many components as examples does not break EM", "[gmm]") {
  const RowMatrixXf x = OverlappingData(12, 8);
  for (const auto covariance : {stages::CovarianceType::kDiagonal, stages::CovarianceType::kFull}) {
    for (const stages::GmmInit init : {stages::GmmInit::kKMeans, stages::GmmInit::kRandom}) {
      stages::GmmOptions options;
      options.components = 12;
      options.covariance = covariance;
      options.init = init;
      options.max_iterations = 50;
      const stages::GmmResult result = stages::FitGmm(x, options, pipeline::Rng(2));
      CheckFiniteModel(result);
      CHECK(result.assignments.size() == 12);
    }
  }
  stages::GmmOptions too_many;
  too_many.components = 13;
  CHECK_THROWS_AS(stages::FitGmm(x, too_many, pipeline::Rng(0)), pipeline::StageError);
}

TEST_CASE("zero reg_covar on a constant feature fails with a message naming the component",
          "[gmm]") {
  RowMatrixXf x = OverlappingData(100, 1);
  x.col(2).setZero();
  stages::GmmOptions options;
  options.components = 2;
  options.reg_covar = 0.0;
  try {
    stages::FitGmm(x, options, pipeline::Rng(0));
    FAIL("expected a StageError");
  } catch (const pipeline::StageError& error) {
    CHECK_THAT(error.what(), Catch::Contains("component") && Catch::Contains("collapsed") &&
                                 Catch::Contains("feature 2"));
  }
  x(5, 0) = std::numeric_limits<float>::quiet_NaN();
  options.reg_covar = 1e-6;
  CHECK_THROWS_WITH(stages::FitGmm(x, options, pipeline::Rng(0)), Catch::Contains("x(5, 0)"));
}

TEST_CASE("AIC and BIC count the free parameters of diagonal and full mixtures", "[gmm]") {
  // K = 3, D = 4: diag 2 + 12 + 12 = 26; full 2 + 12 + 3 * 10 = 44.
  CHECK(stages::GmmParameterCount(stages::CovarianceType::kDiagonal, 3, 4) == 26);
  CHECK(stages::GmmParameterCount(stages::CovarianceType::kFull, 3, 4) == 44);
  CHECK(stages::GmmParameterCount(stages::CovarianceType::kDiagonal, 1, 1) == 2);

  const RowMatrixXf x = OverlappingData(500, 4);  // D = 3
  stages::GmmOptions options;
  options.components = 2;
  options.covariance = stages::CovarianceType::kFull;
  const stages::GmmResult result = stages::FitGmm(x, options, pipeline::Rng(3));
  CHECK(result.parameters == 1 + 6 + 12);
  CHECK(result.total_nll == Approx(500 * result.nll));
  CHECK(result.aic == Approx(2 * result.total_nll + 2 * 19));
  CHECK(result.bic == Approx(2 * result.total_nll + 19 * std::log(500.0)));
}

TEST_CASE("GMM fits are bit-identical with 1 and 2 threads", "[gmm][determinism]") {
  const RowMatrixXf x = OverlappingData(5000, 77);
  for (const auto covariance : {stages::CovarianceType::kDiagonal, stages::CovarianceType::kFull}) {
    stages::GmmOptions options;
    options.components = 4;
    options.covariance = covariance;
    options.restarts = 2;
    options.init = stages::GmmInit::kRandom;
    const auto run = [&] { return stages::FitGmm(x, options, pipeline::Rng(12)); };
    const stages::GmmResult one = InArena(1, run);
    const stages::GmmResult two = InArena(2, run);
    CHECK(one.nll_history == two.nll_history);
    CHECK(one.model.means == two.model.means);
    CHECK(one.model.variances == two.model.variances);
    CHECK(one.model.weights == two.model.weights);
    CHECK(one.assignments == two.assignments);
    CHECK(one.best_restart == two.best_restart);
  }
}

TEST_CASE("full-covariance EM recovers the covariance of a correlated Gaussian", "[gmm]") {
  Eigen::Matrix2d covariance;
  covariance << 2.0, 1.2, 1.2, 1.0;
  const Eigen::Matrix2d factor = covariance.llt().matrixL();
  pipeline::Rng rng(21);
  RowMatrixXf x(8000, 2);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const Eigen::Vector2d z(rng.Normal(), rng.Normal());
    const bool second = i % 4 == 0;  // a far second component with weight 1/4
    const Eigen::Vector2d shift = second ? Eigen::Vector2d(20.0, -20.0) : Eigen::Vector2d(1, 2);
    x.row(i) = (shift + (second ? Eigen::Vector2d(0.5 * z) : Eigen::Vector2d(factor * z)))
                   .cast<float>()
                   .transpose();
  }
  stages::GmmOptions options;
  options.components = 2;
  options.covariance = stages::CovarianceType::kFull;
  stages::GmmResult result = stages::FitGmm(x, options, pipeline::Rng(4));
  stages::SortComponentsByWeight(result);
  const Eigen::MatrixXd& big = result.model.covariances[1];
  CHECK(result.model.weights(1) == Approx(0.75).margin(0.01));
  CHECK(result.model.means(1, 0) == Approx(1.0).margin(0.05));
  CHECK(result.model.means(1, 1) == Approx(2.0).margin(0.05));
  CHECK(big(0, 0) == Approx(2.0).epsilon(0.06));
  CHECK(big(0, 1) == Approx(1.2).epsilon(0.06));
  CHECK(big(1, 0) == big(0, 1));
  CHECK(big(1, 1) == Approx(1.0).epsilon(0.06));
  CHECK(result.model.covariances[0](0, 0) == Approx(0.25).epsilon(0.1));
  CHECK(std::abs(result.model.covariances[0](0, 1)) < 0.03);
}

TEST_CASE("log density agrees with the Gaussian mixture formula at a point", "[gmm]") {
  stages::GmmModel model;
  model.weights = Eigen::Vector2d(0.3, 0.7);
  model.means.resize(2, 2);
  model.means << 0.0, 0.0, 1.0, -1.0;
  model.variances.resize(2, 2);
  model.variances << 1.0, 4.0, 0.5, 2.0;
  RowMatrixXf point(1, 2);
  point << 0.5f, 1.0f;

  // Diagonal: sum_k w_k prod_d N(x_d | mu_kd, var_kd), written out by hand.
  const auto normal = [](double x, double mean, double var) {
    return std::exp(-0.5 * (x - mean) * (x - mean) / var) / std::sqrt(2 * kPi * var);
  };
  const double diagonal = 0.3 * normal(0.5, 0, 1) * normal(1, 0, 4) +
                          0.7 * normal(0.5, 1, 0.5) * normal(1, -1, 2);
  CHECK(stages::GmmLogDensity(model, point)(0) == Approx(std::log(diagonal)).epsilon(1e-12));

  // Full: one correlated component, N(x | mu, S) = exp(-q/2) / (2 pi sqrt(det S)).
  model.covariance = stages::CovarianceType::kFull;
  Eigen::Matrix2d first;
  first << 1.0, 0.5, 0.5, 2.0;  // det 1.75, inverse [2, -0.5; -0.5, 1] / 1.75
  model.covariances = {first, Eigen::Matrix2d(model.variances.row(1).asDiagonal())};
  const double q = (2.0 * 0.25 - 2 * 0.5 * 0.5 * 1.0 + 1.0 * 1.0) / 1.75;
  const double full = 0.3 * std::exp(-0.5 * q) / (2 * kPi * std::sqrt(1.75)) +
                      0.7 * normal(0.5, 1, 0.5) * normal(1, -1, 2);
  CHECK(stages::GmmLogDensity(model, point)(0) == Approx(std::log(full)).epsilon(1e-12));

  // Far from the origin the value is the same (translation invariance, no cancellation).
  model.covariance = stages::CovarianceType::kDiagonal;
  model.covariances.clear();
  const double near = stages::GmmLogDensity(model, point)(0);
  model.means.array() += 1e5;
  point.array() += 1e5f;  // 100000.5 and 100001 are exact in float
  // Release builds (-O3, AVX-512) agree to about 1.5e-7 relative; expanding (x - mu)^2 at this
  // offset would lose about 1e-6 absolute, which this bound still catches.
  CHECK(stages::GmmLogDensity(model, point)(0) == Approx(near).epsilon(2e-7));
}

TEST_CASE("the mean log density of the training data is minus the final NLL", "[gmm]") {
  RowMatrixXf x = OverlappingData(2000, 17);
  x.array() += 300.0f;
  for (const auto covariance : {stages::CovarianceType::kDiagonal, stages::CovarianceType::kFull}) {
    stages::GmmOptions options;
    options.components = 3;
    options.covariance = covariance;
    const stages::GmmResult result = stages::FitGmm(x, options, pipeline::Rng(2));
    CHECK(-stages::GmmLogDensity(result.model, x).mean() == Approx(result.nll).epsilon(1e-9));
  }
}

TEST_CASE("more restarts never end with a higher NLL", "[gmm]") {
  const RowMatrixXf x = OverlappingData(800, 31);
  stages::GmmOptions options;
  options.components = 4;
  options.init = stages::GmmInit::kRandom;
  const stages::GmmResult single = stages::FitGmm(x, options, pipeline::Rng(8));
  options.restarts = 3;
  const stages::GmmResult several = stages::FitGmm(x, options, pipeline::Rng(8));
  CHECK(several.nll <= single.nll);
  CHECK(several.nll_history.front() != 0.0);
}

TEST_CASE("the absolute convergence rule stops at the first change below tol", "[gmm]") {
  const RowMatrixXf x = OverlappingData(1500, 77);
  for (const double tol : {1e-2, 1e-3, 1e-4}) {
    stages::GmmOptions options;
    options.components = 4;
    options.tolerance = tol;
    options.convergence = stages::GmmConvergence::kAbsolute;
    options.max_iterations = 1000;
    INFO("tol " << tol);
    const stages::GmmResult result = stages::FitGmm(x, options, pipeline::Rng(3));
    REQUIRE(result.converged);
    const std::vector<double>& h = result.nll_history;
    REQUIRE(h.size() == static_cast<size_t>(result.iterations) + 1);
    CHECK(std::abs(h[h.size() - 2] - h.back()) < tol);
    for (size_t i = 1; i + 1 < h.size(); ++i) CHECK(std::abs(h[i - 1] - h[i]) >= tol);
  }
  CHECK(stages::ParseGmmConvergence("absolute") == stages::GmmConvergence::kAbsolute);
  CHECK_THROWS_AS(stages::ParseGmmConvergence("sklearn"), pipeline::StageError);
}
