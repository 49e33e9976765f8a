#include <catch2/catch.hpp>

#include <cmath>

#include "pipeline/search/parzen_estimator.h"
#include "pipeline/search/truncated_normal.h"

using pipeline::CategoricalParzenEstimator;
using pipeline::NumericParzenEstimator;

TEST_CASE("the normal mass matches tabulated values and stays finite far in the tails",
          "[parzen_estimator][sampler]") {
  // Phi(1) - Phi(-1) = 0.682689492137...
  CHECK(std::exp(pipeline::LogNormalMass(-1, 1)) == Approx(0.682689492137).epsilon(1e-10));
  // Phi(0.5) - Phi(0.25) from the table: 0.691462461 - 0.598706326.
  CHECK(std::exp(pipeline::LogNormalMass(0.25, 0.5)) == Approx(0.092756135).epsilon(1e-7));
  // 40 sigma out 1 - Phi rounds to 0, but log Phi(-40) = -804.6084 (asymptotic series).
  CHECK(pipeline::LogNormalMass(40, 41) == Approx(-804.6084).epsilon(1e-6));
  CHECK(pipeline::LogNormalMass(-41, -40) == Approx(-804.6084).epsilon(1e-6));
}

TEST_CASE("a truncated normal density integrates to one over its interval",
          "[parzen_estimator][sampler]") {
  const double low = 0, high = 1, mu = 0.9, sigma = 0.3;
  const int steps = 20000;
  double integral = 0;
  for (int i = 0; i < steps; ++i) {
    const double x = low + (high - low) * (i + 0.5) / steps;
    integral += std::exp(pipeline::TruncatedNormalLogPdf(x, mu, sigma, low, high)) / steps;
  }
  CHECK(integral == Approx(1.0).epsilon(1e-6));
  CHECK(std::isinf(pipeline::TruncatedNormalLogPdf(1.01, mu, sigma, low, high)));
}

TEST_CASE("default weights ramp up the oldest trials past 25", "[parzen_estimator][sampler]") {
  const std::vector<double> few = pipeline::DefaultTpeWeights(24);
  for (double w : few) CHECK(w == 1.0);
  const std::vector<double> many = pipeline::DefaultTpeWeights(30);
  REQUIRE(many.size() == 30);
  CHECK(many[0] == Approx(1.0 / 30));  // numpy.linspace(1/30, 1, 5)
  CHECK(many[2] == Approx((1.0 / 30 + 1.0) / 2));
  CHECK(many[4] == Approx(1.0));
  for (size_t i = 5; i < 30; ++i) CHECK(many[i] == 1.0);
}

TEST_CASE("bandwidths are the wider neighbour gap, clipped, with the prior among the points",
          "[parzen_estimator][sampler]") {
  // Sorted with the prior's mean: 0.1 0.2 0.3 (0.5) 0.6 0.9. Six components, so the minimum
  // sigma is 1/7. The ends use their inner neighbour only; the prior's sigma is the width.
  const NumericParzenEstimator estimator({0.1, 0.2, 0.3, 0.6, 0.9}, {1, 1, 1, 1, 1}, 0, 1, 1.0,
                                         false);
  const std::vector<double>& sigmas = estimator.sigmas();
  REQUIRE(sigmas.size() == 6);
  CHECK(sigmas[0] == Approx(1.0 / 7));  // gap 0.1, clipped up
  CHECK(sigmas[1] == Approx(1.0 / 7));
  CHECK(sigmas[2] == Approx(0.2));      // to the prior at 0.5
  CHECK(sigmas[3] == Approx(0.3));      // to 0.9
  CHECK(sigmas[4] == Approx(0.3));      // last point: gap to 0.6
  CHECK(sigmas[5] == Approx(1.0));
  CHECK(estimator.mus()[5] == Approx(0.5));
  CHECK(estimator.weights()[0] == Approx(1.0 / 6));
}

TEST_CASE("the normalised Parzen density integrates to one, and int bins sum to one",
          "[parzen_estimator][sampler]") {
  const NumericParzenEstimator continuous({0.05, 0.3, 0.31, 0.8}, {1, 2, 1, 1}, 0, 1, 1.0,
                                          false, pipeline::ComponentDensity::kNormalised);
  const int steps = 20000;
  double integral = 0;
  for (int i = 0; i < steps; ++i) integral += std::exp(continuous.LogPdf((i + 0.5) / steps));
  CHECK(integral / steps == Approx(1.0).epsilon(1e-5));

  // ints 1..6 as reals on [0.5, 6.5]
  const NumericParzenEstimator discrete({2, 2, 5}, {1, 1, 1}, 0.5, 6.5, 1.0, true);
  double total = 0;
  for (int x = 1; x <= 6; ++x) total += std::exp(discrete.LogPdf(x));
  CHECK(total == Approx(1.0).epsilon(1e-12));
  CHECK(discrete.LogPdf(2) > discrete.LogPdf(4));
}

TEST_CASE("categorical probabilities mix one smoothed row per observation and the prior",
          "[parzen_estimator][sampler]") {
  // Four components of weight 1/4. Rows: 1/4 on every choice, +1 on the observed, over 1.75.
  const CategoricalParzenEstimator estimator({0, 0, 1}, {1, 1, 1}, 3, 1.0);
  const std::vector<double>& p = estimator.probabilities();
  const double uniform = 0.25 / 3, smoothing = 0.75 * 0.25 / 1.75;
  CHECK(p[0] == Approx(uniform + smoothing + 0.5 / 1.75));
  CHECK(p[1] == Approx(uniform + smoothing + 0.25 / 1.75));
  CHECK(p[2] == Approx(uniform + smoothing));
  CHECK(p[0] + p[1] + p[2] == Approx(1.0));
}

TEST_CASE("int bin probabilities agree with Optuna 3.1's Parzen estimator",
          "[parzen_estimator][sampler]") {
  // _ParzenEstimator({"i": [2, 2, 5]}, IntDistribution(1, 6), defaults).log_pdf([2, 4, 6]),
  // computed with Debian's python3-optuna 3.1.0.
  const NumericParzenEstimator estimator({2, 2, 5}, {1, 1, 1}, 0.5, 6.5, 1.0, true);
  CHECK(estimator.LogPdf(2) == Approx(-1.50794613).epsilon(1e-8));
  CHECK(estimator.LogPdf(4) == Approx(-1.8123366).epsilon(1e-8));
  CHECK(estimator.LogPdf(6) == Approx(-2.2491782).epsilon(1e-8));
}

TEST_CASE("continuous log densities agree with Optuna 3.1, and normalised with a hand sum",
          "[parzen_estimator][sampler]") {
  // Optuna 3.1: _ParzenEstimator({"x": [0.1, 0.2, 0.3, 0.6, 0.9]}, FloatDistribution(0, 1),
  // defaults).log_pdf([0.25, 0.95, 0.0]), with Debian's python3-optuna 3.1.0.
  const NumericParzenEstimator optuna({0.1, 0.2, 0.3, 0.6, 0.9}, {1, 1, 1, 1, 1}, 0, 1, 1.0,
                                      false);
  CHECK(optuna.LogPdf(0.25) == Approx(-0.90621277).epsilon(1e-8));
  CHECK(optuna.LogPdf(0.95) == Approx(-1.20566541).epsilon(1e-8));
  CHECK(optuna.LogPdf(0.0) == Approx(-1.26053145).epsilon(1e-8));
  // The same mixture normalised, summed by hand (in Python) from the normal pdf and erfc.
  const NumericParzenEstimator normalised({0.1, 0.2, 0.3, 0.6, 0.9}, {1, 1, 1, 1, 1}, 0, 1, 1.0,
                                          false, pipeline::ComponentDensity::kNormalised);
  CHECK(normalised.LogPdf(0.25) == Approx(0.40816719031).epsilon(1e-9));
  CHECK(normalised.LogPdf(0.95) == Approx(-0.45764646253).epsilon(1e-9));
  CHECK(normalised.LogPdf(0.0) == Approx(-0.02296669412).epsilon(1e-9));
}
