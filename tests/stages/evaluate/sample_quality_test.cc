#include "stages/evaluate/sample_quality.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <cmath>

#include "pipeline/rng.h"
#include "stages/evaluate/sample_quality_stage.h"
#include "stages/train/train_stage.h"
#include "tests/stages/stage_harness.h"

using pipeline::Json;
using stage_testing::StageHarness;

namespace {

// n x d features with correlated columns, from a seeded generator.
Eigen::MatrixXd Features(int64_t n, int64_t d, uint64_t seed) {
  pipeline::Rng rng(seed);
  Eigen::MatrixXd mixing(d, d);
  for (int64_t i = 0; i < d; ++i) {
    for (int64_t j = 0; j < d; ++j) mixing(i, j) = rng.Normal();
  }
  Eigen::MatrixXd x(n, d);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) x(i, j) = rng.Normal();
  }
  return x * mixing;
}

}  // namespace

TEST_CASE("Frechet distance: identical sets give 0", "[sample_quality]") {
  const Eigen::MatrixXd a = Features(500, 6, 1);
  CHECK(stages::FrechetDistance(stages::FitGaussian(a), stages::FitGaussian(a)) ==
        Approx(0.0).margin(1e-8));
}

TEST_CASE("Frechet distance: a scaled and shifted set gives the closed form", "[sample_quality]") {
  // b = c a + s: mu_b = c mu_a + s, S_b = c^2 S_a, so (S_a S_b)^(1/2) = c S_a and
  // d^2 = |(1 - c) mu_a - s|^2 + (1 - c)^2 Tr(S_a).
  const Eigen::MatrixXd a = Features(400, 5, 2);
  const double c = 1.7;
  Eigen::RowVectorXd shift(5);
  shift << 0.5, -1.0, 2.0, 0.0, 0.25;
  const Eigen::MatrixXd b = (c * a).rowwise() + shift;
  const stages::GaussianFit fa = stages::FitGaussian(a);
  const double expected = ((1 - c) * fa.mean - shift.transpose()).squaredNorm() +
                          (1 - c) * (1 - c) * fa.covariance.trace();
  CHECK(stages::FrechetDistance(fa, stages::FitGaussian(b)) == Approx(expected).epsilon(1e-9));
  // Symmetric in its arguments.
  CHECK(stages::FrechetDistance(stages::FitGaussian(b), fa) == Approx(expected).epsilon(1e-9));
}

TEST_CASE("class-entropy score: 1 for one prediction everywhere, K for confident even classes",
          "[sample_quality]") {
  Eigen::MatrixXd same = Eigen::MatrixXd::Zero(30, 3);
  same.col(1).setOnes();
  CHECK(stages::ClassEntropyScore(same) == Approx(1.0));
  Eigen::MatrixXd even = Eigen::MatrixXd::Zero(30, 3);
  for (int i = 0; i < 30; ++i) even(i, i % 3) = 1.0;
  CHECK(stages::ClassEntropyScore(even) == Approx(3.0));
  const Eigen::MatrixXd uniform = Eigen::MatrixXd::Constant(30, 3, 1.0 / 3.0);
  CHECK(stages::ClassEntropyScore(uniform) == Approx(1.0));
}

TEST_CASE("sample_quality scores sets in a trained classifier's features", "[sample_quality]") {
  // Four well separated classes of 8-feature points; a small MLP learns them.
  auto points = [](int64_t n, uint64_t seed, float offset) {
    pipeline::Rng rng(seed);
    pipeline::Tensor x(pipeline::DType::kFloat32, {n, 8});
    std::vector<int32_t> y(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const int c = static_cast<int>(i % 4);
      y[static_cast<size_t>(i)] = c;
      for (int j = 0; j < 8; ++j) {
        x.f32()[i * 8 + j] =
            static_cast<float>((j % 4 == c ? 3.0 : 0.0) + offset + rng.Normal(0, 0.5));
      }
    }
    return stage_testing::MakeArtifact({{"x", std::move(x)}, {"y", pipeline::Tensor::FromVector(y)}});
  };
  omp_set_num_threads(1);
  const pipeline::ArtifactPtr train = points(200, 1, 0);
  StageHarness trainer(stages::TrainStage());
  const pipeline::ArtifactPtr model = std::make_shared<pipeline::Artifact>(trainer.Run(
      {{"layers", Json::array({{{"type", "linear"}, {"out", 16}},
                               {{"type", "relu"}},
                               {{"type", "linear"}, {"out", 4}}})},
       {"epochs", 20},
       {"batch_size", 20},
       {"optimizer", {{"optimizer", "adam"}, {"lr", 0.01}}}},
      {train}, 42, 1));

  const pipeline::ArtifactPtr test = points(200, 2, 0);
  StageHarness quality(stages::SampleQualityStage());
  quality.Run(Json::object(), {model, test, test}, 42, 1);
  CHECK(quality.metrics().Values("frechet_distance").at(0) == Approx(0.0).margin(1e-6));
  const double score = quality.metrics().Values("class_entropy_score").at(0);
  CHECK(score > 3.0);  // confident and even over 4 classes
  CHECK(score <= 4.0 + 1e-9);

  // Another sample of the same distribution is close; shifted points are far.
  const pipeline::ArtifactPtr other = points(200, 3, 0);
  const pipeline::ArtifactPtr shifted = points(200, 4, 2.0f);
  StageHarness near(stages::SampleQualityStage());
  near.Run(Json::object(), {model, other, test}, 42, 1);
  StageHarness far(stages::SampleQualityStage());
  far.Run(Json::object(), {model, shifted, test}, 42, 1);
  const double d_near = near.metrics().Values("frechet_distance").at(0);
  const double d_far = far.metrics().Values("frechet_distance").at(0);
  CHECK(d_near > 0);
  CHECK(d_far > 5 * d_near);
  CHECK(near.metrics().Values("feature_size").at(0) == 16);  // relu1's output
}
