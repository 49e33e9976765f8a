#include "stages/cluster/kmeans.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "pipeline/errors.h"
#include "stages/cluster/cluster_stage.h"
#include "stages/cluster/kmeans_plus_plus.h"
#include "stages/load/blobs.h"
#include "tests/stages/stage_harness.h"

using pipeline::RowMatrixXd;
using pipeline::RowMatrixXf;
using stage_testing::InArena;

namespace {

stages::Blobs MakeTestBlobs(int64_t n, int64_t centers, double spread, double box, uint64_t seed) {
  stages::BlobsOptions options;
  options.examples = n;
  options.dims = 3;
  options.centers = centers;
  options.spread = spread;
  options.center_box = box;
  return stages::MakeBlobs(options, pipeline::Rng(seed));
}

void CheckNonIncreasing(const std::vector<double>& history) {
  for (size_t i = 1; i < history.size(); ++i) {
    INFO("iteration " << i);
    CHECK(history[i] <= history[i - 1] * (1 + 1e-12));
  }
}

}  // namespace

TEST_CASE("k-means finds planted centres", "[kmeans]") {
  const stages::Blobs blobs = MakeTestBlobs(800, 4, 0.3, 10.0, 21);
  stages::KMeansOptions options;
  options.clusters = 4;
  options.restarts = 3;
  const stages::KMeansResult result = stages::KMeans(blobs.x, options, pipeline::Rng(1));

  REQUIRE(result.centers.rows() == 4);
  CHECK(result.converged);
  for (Eigen::Index c = 0; c < 4; ++c) {
    const RowMatrixXd centers = result.centers.cast<double>();
    const double nearest = (centers.rowwise() - blobs.centers.row(c)).rowwise().norm().minCoeff();
    CHECK(nearest < 0.1);
  }
  // Every cluster holds exactly one blob.
  std::map<int32_t, std::set<int32_t>> labels_in_cluster;
  for (size_t i = 0; i < blobs.labels.size(); ++i) {
    labels_in_cluster[result.assignments[i]].insert(blobs.labels[i]);
  }
  REQUIRE(labels_in_cluster.size() == 4);
  for (const auto& [cluster, labels] : labels_in_cluster) CHECK(labels.size() == 1);
}

TEST_CASE("k-means inertia never increases across Lloyd iterations", "[kmeans]") {
  // Overlapping blobs and more clusters than blobs make long runs with many reassignments.
  for (uint64_t seed = 0; seed < 10; ++seed) {
    const stages::Blobs blobs = MakeTestBlobs(1500, 5, 3.0, 4.0, 100 + seed);
    stages::KMeansOptions options;
    options.clusters = 9;
    options.tolerance = 0;
    const stages::KMeansResult result = stages::KMeans(blobs.x, options, pipeline::Rng(seed));
    INFO("seed " << seed);
    REQUIRE(result.inertia_history.size() == static_cast<size_t>(result.iterations) + 1);
    CHECK(result.inertia_history.back() == result.inertia);
    CHECK(result.iterations > 3);
    CheckNonIncreasing(result.inertia_history);
  }
}

TEST_CASE("k-means moves an empty cluster onto the farthest point", "[kmeans]") {
  const stages::Blobs blobs = MakeTestBlobs(300, 3, 0.5, 5.0, 4);
  RowMatrixXd start = blobs.centers;
  start.row(2).setConstant(1000.0);  // no example is nearest to this centre
  stages::KMeansOptions options;
  const stages::KMeansResult result = stages::RefineKMeans(blobs.x, start, options);

  CHECK(result.inertia_history[1] < result.inertia_history[0]);
  CheckNonIncreasing(result.inertia_history);
  const std::set<int32_t> used(result.assignments.begin(), result.assignments.end());
  CHECK(used.size() == 3);
  CHECK(result.centers.cwiseAbs().maxCoeff() < 100.0f);
}

TEST_CASE("k-means with more clusters than distinct points ends at zero inertia", "[kmeans]") {
  RowMatrixXf x = RowMatrixXf::Zero(12, 2);
  x.bottomRows(4).setConstant(1.0f);  // two distinct points
  stages::KMeansOptions options;
  options.clusters = 4;
  const stages::KMeansResult result = stages::KMeans(x, options, pipeline::Rng(3));
  CHECK(result.inertia == 0.0);
  CHECK(result.assignments[0] != result.assignments[11]);
  CheckNonIncreasing(result.inertia_history);
}

TEST_CASE("k-means gives identical results with 1 and 2 threads", "[kmeans][determinism]") {
  const stages::Blobs blobs = MakeTestBlobs(20000, 6, 2.0, 5.0, 8);
  stages::KMeansOptions options;
  options.clusters = 6;
  options.restarts = 2;
  const auto run = [&] { return stages::KMeans(blobs.x, options, pipeline::Rng(77)); };
  const stages::KMeansResult one = InArena(1, run);
  const stages::KMeansResult two = InArena(2, run);
  CHECK(one.assignments == two.assignments);
  CHECK(one.centers == two.centers);
  CHECK(one.inertia_history == two.inertia_history);
  CHECK(one.best_restart == two.best_restart);
}

TEST_CASE("k-means with more restarts never ends with a worse inertia", "[kmeans]") {
  const stages::Blobs blobs = MakeTestBlobs(1000, 8, 2.5, 5.0, 12);
  stages::KMeansOptions options;
  options.clusters = 8;
  const stages::KMeansResult single = stages::KMeans(blobs.x, options, pipeline::Rng(5));
  options.restarts = 4;
  const stages::KMeansResult several = stages::KMeans(blobs.x, options, pipeline::Rng(5));
  CHECK(several.inertia <= single.inertia);
}

TEST_CASE("k-means++ seeds are distinct data points", "[kmeans]") {
  const stages::Blobs blobs = MakeTestBlobs(200, 5, 1.0, 5.0, 2);
  pipeline::Rng rng(6);
  const RowMatrixXd seeds = stages::SeedKMeansPlusPlus(blobs.x, 5, rng);
  for (Eigen::Index c = 0; c < 5; ++c) {
    const RowMatrixXd data = blobs.x.cast<double>();
    CHECK((data.rowwise() - seeds.row(c)).rowwise().squaredNorm().minCoeff() == 0.0);
    for (Eigen::Index other = 0; other < c; ++other) CHECK(seeds.row(c) != seeds.row(other));
  }
}

TEST_CASE("greedy k-means++ seeds leave a lower potential than plain k-means++", "[kmeans]") {
  // Overlapping blobs, so the seeding has room to be good or bad; summed over 20 seeds.
  const stages::Blobs blobs = MakeTestBlobs(1500, 12, 1.5, 6.0, 8);
  const RowMatrixXd data = blobs.x.cast<double>();
  auto potential = [&](const RowMatrixXd& seeds) {
    double sum = 0.0;
    for (Eigen::Index i = 0; i < data.rows(); ++i) {
      sum += (seeds.rowwise() - data.row(i)).rowwise().squaredNorm().minCoeff();
    }
    return sum;
  };
  double plain = 0.0, greedy = 0.0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    pipeline::Rng a(seed), b(seed);
    plain += InArena(1, [&] { return potential(stages::SeedKMeansPlusPlus(blobs.x, 12, a, 1)); });
    greedy += InArena(1, [&] { return potential(stages::SeedKMeansPlusPlus(blobs.x, 12, b)); });
  }
  CHECK(stages::DefaultLocalTrials(12) == 4);  // 2 + floor(ln 12), as scikit-learn
  CHECK(stages::DefaultLocalTrials(1) == 2);
  CHECK(greedy < 0.9 * plain);
}

TEST_CASE("k-means rejects more clusters than examples", "[kmeans]") {
  stages::KMeansOptions options;
  options.clusters = 5;
  CHECK_THROWS_AS(stages::KMeans(RowMatrixXf::Zero(4, 2), options, pipeline::Rng(0)),
                  pipeline::StageError);
}

TEST_CASE("kmeans stage outputs assignments, centres and per-iteration inertia", "[kmeans]") {
  const stages::Blobs blobs = MakeTestBlobs(120, 3, 0.5, 6.0, 30);
  pipeline::Tensor x(pipeline::DType::kFloat32, {120, 1, 3});  // read as 120 x 3
  x.MatrixF() = blobs.x;
  const pipeline::ArtifactPtr input =
      stage_testing::MakeArtifact({{"x", x}, {"y", pipeline::Tensor::FromVector(blobs.labels)}});
  stage_testing::StageHarness harness(stages::KMeansStage());

  const pipeline::Artifact& out = harness.Run({{"k", 3}, {"n_init", 2}}, {input}, /*seed=*/9);
  CHECK(out.Get("assignments").shape() == std::vector<int64_t>{120});
  CHECK(out.Get("centers").shape() == std::vector<int64_t>{3, 3});
  CHECK(out.Get("x").shape() == x.shape());
  CHECK(out.Get("y").ToIntVector() == blobs.labels);
  CHECK_FALSE(out.Has("ids"));
  CHECK(out.meta()["k"] == 3);

  stages::KMeansOptions options;
  options.clusters = 3;
  options.restarts = 2;
  const stages::KMeansResult expected = stages::KMeans(blobs.x, options, pipeline::Rng(9));
  CHECK(out.Get("assignments").ToIntVector() == expected.assignments);
  CHECK(harness.metrics().Values("inertia") == expected.inertia_history);
  CHECK(harness.metrics().Values("iterations") ==
        std::vector<double>{static_cast<double>(expected.iterations)});
}

TEST_CASE("k-means assigns near-ties to the truly nearest centre", "[kmeans]") {
  // Far from the origin (1e4), float scores ||c||^2 - 2 x.c round in steps of ~8, far coarser
  // than the 4e-3 by which these points prefer one centre: the double re-check must decide.
  RowMatrixXd centers(2, 2);
  centers << 1e4, 1e4, 1e4 + 2, 1e4;
  RowMatrixXf x(40, 2);
  for (Eigen::Index i = 0; i < 40; ++i) {
    const double offset = (i % 2 == 0 ? -1e-3 : 1e-3) * (1 + i / 2);
    x(i, 0) = static_cast<float>(1e4 + 1 + offset);
    x(i, 1) = static_cast<float>(1e4 + (i / 2) % 5);
  }
  stages::KMeansOptions options;
  options.max_iterations = 0;  // only the assignment to the given centres
  const stages::KMeansResult result = stages::RefineKMeans(x, centers, options);
  for (Eigen::Index i = 0; i < 40; ++i) {
    const Eigen::RowVectorXd point = x.row(i).cast<double>();
    const double to_first = (point - centers.row(0)).squaredNorm();
    const double to_second = (point - centers.row(1)).squaredNorm();
    INFO("example " << i);
    CHECK(result.assignments[static_cast<size_t>(i)] == (to_second < to_first ? 1 : 0));
  }
}

TEST_CASE("k-means bounds never keep an example from a nearer centre", "[kmeans]") {
  // Overlapping blobs in 3-D with many clusters: examples change cluster for many iterations,
  // so the bounds skip some examples while others move. After every number of iterations the
  // assignment must be the full search's: no centre nearer than the assigned one.
  const stages::Blobs blobs = MakeTestBlobs(3000, 6, 2.5, 4.0, 31);
  const RowMatrixXd start = blobs.x.topRows(12).cast<double>();
  int64_t settled_iterations = 0;
  for (int64_t iterations = 1; iterations <= 40; iterations += 3) {
    stages::KMeansOptions options;
    options.max_iterations = iterations;
    options.tolerance = 0;
    const stages::KMeansResult result = stages::RefineKMeans(blobs.x, start, options);
    settled_iterations = std::max(settled_iterations, result.iterations);
    const RowMatrixXd centers = result.centers.cast<double>();
    int64_t wrong = 0;
    for (Eigen::Index i = 0; i < blobs.x.rows(); ++i) {
      const Eigen::RowVectorXd point = blobs.x.row(i).cast<double>();
      const Eigen::VectorXd distances = (centers.rowwise() - point).rowwise().squaredNorm();
      const double assigned = distances(result.assignments[static_cast<size_t>(i)]);
      // The centres were rounded to float for the result: allow that much.
      if (assigned > distances.minCoeff() * (1 + 1e-5) + 1e-9) ++wrong;
    }
    INFO("after " << result.iterations << " iterations");
    CHECK(wrong == 0);
  }
  CHECK(settled_iterations > 10);  // the run really was long enough to exercise the bounds
}
