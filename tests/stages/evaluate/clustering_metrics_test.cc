#include "stages/evaluate/clustering_metrics.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "pipeline/errors.h"
#include "stages/evaluate/cluster_eval.h"
#include "tests/stages/stage_harness.h"

using Labels = std::vector<int32_t>;

namespace {

struct Scores {
  double accuracy, nmi, ari;
};

Scores Score(const Labels& truth, const Labels& predicted) {
  const stages::ContingencyTable table = stages::BuildContingencyTable(truth, predicted);
  return {stages::ClusteringAccuracy(table), stages::NormalizedMutualInformation(table),
          stages::AdjustedRandIndex(table)};
}

}  // namespace

TEST_CASE("clustering scores are 1 for identical and for renumbered labelings",
          "[clustering_metrics]") {
  const Labels truth = {0, 0, 1, 1, 1, 2, 2, 3};
  for (const Labels& predicted : {truth, Labels{7, 7, -1, -1, -1, 4, 4, 0}}) {
    const Scores s = Score(truth, predicted);
    CHECK(s.accuracy == 1.0);
    CHECK(s.nmi == Approx(1.0));
    CHECK(s.ari == 1.0);
  }
}

TEST_CASE("clustering scores match a hand-computed example", "[clustering_metrics]") {
  // Contingency [[2, 1, 0], [0, 1, 2]]:
  //   accuracy: match class 0 -> cluster 0, class 1 -> cluster 2: (2 + 2) / 6
  //   MI = 2 * (1/3) ln 2; H(classes) = ln 2, H(clusters) = ln 3; NMI = MI / ((ln 2 + ln 3) / 2)
  //   ARI: pairs together 2, same class 6, same cluster 3, all 15: (2 - 1.2) / (4.5 - 1.2)
  const Scores s = Score({0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 2, 2});
  CHECK(s.accuracy == Approx(4.0 / 6));
  CHECK(s.nmi == Approx((4.0 / 3) * std::log(2.0) / std::log(6.0)));
  CHECK(s.nmi == Approx(0.5158037429793889));  // scikit-learn's value
  CHECK(s.ari == Approx(0.8 / 3.3));
}

TEST_CASE("clustering scores of independent labelings are 0 or below", "[clustering_metrics]") {
  // Every class is split evenly over both clusters: no information; ARI below chance.
  const Scores s = Score({0, 0, 1, 1}, {0, 1, 0, 1});
  CHECK(s.nmi == 0.0);
  CHECK(s.ari == Approx(-0.5));
  CHECK(s.accuracy == 0.5);
}

TEST_CASE("clustering accuracy counts unmatched extra clusters as wrong", "[clustering_metrics]") {
  // Two classes, three clusters: cluster 2 cannot be matched, so its two examples are wrong.
  const Scores s = Score({0, 0, 0, 1, 1, 1}, {0, 0, 2, 1, 1, 2});
  CHECK(s.accuracy == Approx(4.0 / 6));
}

TEST_CASE("clustering scores follow scikit-learn on single-cluster labelings",
          "[clustering_metrics]") {
  CHECK(Score({3, 3, 3}, {1, 1, 1}).nmi == 1.0);
  CHECK(Score({3, 3, 3}, {1, 1, 1}).ari == 1.0);
  CHECK(Score({0, 1, 2}, {5, 5, 5}).nmi == 0.0);
  CHECK(Score({0, 1, 2}, {5, 5, 5}).ari == 0.0);
}

TEST_CASE("clustering scores reject labelings of different lengths", "[clustering_metrics]") {
  CHECK_THROWS_AS(stages::BuildContingencyTable({0, 1}, {0}), pipeline::StageError);
  CHECK_THROWS_AS(stages::BuildContingencyTable({}, {}), pipeline::StageError);
}

TEST_CASE("cluster_eval stage logs accuracy, NMI, ARI and cluster count", "[clustering_metrics]") {
  const pipeline::ArtifactPtr clusters = stage_testing::MakeArtifact(
      {{"assignments", pipeline::Tensor::FromVector(Labels{0, 0, 1, 1, 2, 2})}});
  const pipeline::ArtifactPtr data =
      stage_testing::MakeArtifact({{"y", pipeline::Tensor::FromVector(Labels{0, 0, 0, 1, 1, 1})}});
  stage_testing::StageHarness harness(stages::ClusterEvalStage());

  const pipeline::Artifact& out = harness.Run({}, {clusters, data});
  const Scores expected = Score({0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 2, 2});
  CHECK(harness.metrics().Values("accuracy") == std::vector<double>{expected.accuracy});
  CHECK(harness.metrics().Values("nmi") == std::vector<double>{expected.nmi});
  CHECK(harness.metrics().Values("ari") == std::vector<double>{expected.ari});
  CHECK(harness.metrics().Values("clusters") == std::vector<double>{3});
  CHECK(out.meta()["accuracy"] == expected.accuracy);

  CHECK_THROWS_AS(harness.Run({}, {clusters}), pipeline::StageError);  // no "y"
}
