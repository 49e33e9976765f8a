#include "stages/evaluate/classification_metrics.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"

namespace {

// 10 examples over classes 1, 3, 5 (by hand):
//   truth 1: predicted 1, 1, 3          -> 2/3 correct
//   truth 3: predicted 3, 3, 3, 1       -> 3/4
//   truth 5: predicted 1, 5, 1          -> 1/3
const std::vector<int32_t> kTruth = {1, 1, 1, 3, 3, 3, 3, 5, 5, 5};
const std::vector<int32_t> kPredicted = {1, 1, 3, 3, 3, 3, 1, 1, 5, 1};

}  // namespace

TEST_CASE("confusion matrix counts match a hand count", "[classification_metrics]") {
  const stages::ConfusionMatrix matrix = stages::BuildConfusionMatrix(kTruth, kPredicted);
  REQUIRE(matrix.classes == std::vector<int32_t>{1, 3, 5});
  Eigen::Matrix3d expected;
  expected << 2, 1, 0,  //
      1, 3, 0,          //
      2, 0, 1;
  CHECK(matrix.counts == Eigen::MatrixXd(expected));
  CHECK(matrix.total == 10);
  CHECK(stages::Accuracy(matrix) == Approx(0.6));
  CHECK(stages::ErrorRate(matrix) == Approx(0.4));
}

TEST_CASE("per-class accuracy and the row-normalised matrix", "[classification_metrics]") {
  const stages::ConfusionMatrix matrix =
      stages::BuildConfusionMatrix(kTruth, kPredicted, {1, 3, 5, 7});
  REQUIRE(matrix.classes == std::vector<int32_t>{1, 3, 5, 7});
  const std::vector<stages::ClassAccuracy> per_class = stages::PerClassAccuracy(matrix);
  REQUIRE(per_class.size() == 4);
  CHECK(per_class[0].accuracy == Approx(2.0 / 3));
  CHECK(per_class[1].accuracy == Approx(0.75));
  CHECK(per_class[1].support == 4);
  CHECK(per_class[2].accuracy == Approx(1.0 / 3));
  CHECK(per_class[3].label == 7);
  CHECK(per_class[3].support == 0);
  CHECK(per_class[3].accuracy == 0.0);

  const Eigen::MatrixXd normalized = stages::RowNormalized(matrix);
  CHECK(normalized(1, 0) == Approx(0.25));
  CHECK(normalized(2, 0) == Approx(2.0 / 3));
  for (Eigen::Index row = 0; row < 3; ++row) CHECK(normalized.row(row).sum() == Approx(1.0));
  CHECK(normalized.row(3).sum() == 0.0);  // no true examples of class 7
  CHECK(normalized.allFinite());
}

TEST_CASE("most confused pairs come by decreasing count", "[classification_metrics]") {
  const stages::ConfusionMatrix matrix = stages::BuildConfusionMatrix(kTruth, kPredicted);
  const std::vector<stages::ConfusedPair> pairs = stages::MostConfusedPairs(matrix);
  REQUIRE(pairs.size() == 3);
  CHECK(pairs[0].truth == 5);
  CHECK(pairs[0].predicted == 1);
  CHECK(pairs[0].count == 2);
  CHECK(pairs[0].rate == Approx(2.0 / 3));
  // Two pairs with count 1: 1 -> 3 (rate 1/3) before 3 -> 1 (rate 1/4).
  CHECK(pairs[1].truth == 1);
  CHECK(pairs[1].predicted == 3);
  CHECK(pairs[2].truth == 3);
  CHECK(stages::MostConfusedPairs(matrix, 1).size() == 1);
}

TEST_CASE("confusion matrix rejects mismatched lengths", "[classification_metrics]") {
  CHECK_THROWS_AS(stages::BuildConfusionMatrix({1, 2}, {1}), pipeline::StageError);
  CHECK_THROWS_AS(stages::BuildConfusionMatrix({}, {}), pipeline::StageError);
}
