#include "stages/resample/split.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "pipeline/errors.h"
#include "stages/resample/class_counts.h"
#include "tests/stages/resample/resample_test_data.h"

using resample_testing::Counts;
using resample_testing::ShuffledLabels;
using stages::Part;
using stages::PartChoice;

namespace {

const std::vector<int> kSizes = {200, 100, 37, 13, 1};

std::vector<int32_t> LabelsOf(const std::vector<int32_t>& labels,
                              const std::vector<int64_t>& rows) {
  std::vector<int32_t> out;
  for (int64_t row : rows) out.push_back(labels[static_cast<size_t>(row)]);
  return out;
}

stages::SplitAssignment Split(const std::vector<int32_t>& labels, double validation, double test,
                              bool stratify, int64_t folds, uint64_t seed) {
  stages::SplitOptions options;
  options.validation = validation;
  options.test = test;
  options.stratify = stratify;
  options.folds = folds;
  return stages::AssignSplit(labels, static_cast<int64_t>(labels.size()), 5, options,
                             pipeline::Rng(seed));
}

}  // namespace

TEST_CASE("stratified split keeps class proportions in every part", "[split]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 1);
  const stages::SplitAssignment split = Split(labels, 0.2, 0.1, true, 0, 7);
  const std::vector<int32_t> parts = split.part;
  for (auto [choice, fraction] : {std::make_pair(PartChoice::kValidation, 0.2),
                                  std::make_pair(PartChoice::kTest, 0.1)}) {
    const std::vector<int64_t> rows = stages::SelectPart(parts, {}, choice, -1);
    const std::vector<int64_t> counts = Counts(LabelsOf(labels, rows), 5);
    for (size_t c = 0; c < kSizes.size(); ++c) {
      INFO("class " << c << " fraction " << fraction);
      CHECK(std::abs(static_cast<double>(counts[c]) - fraction * kSizes[c]) <= 1.0);
    }
    // 351 examples: the part totals are the rounded overall fractions.
    CHECK(static_cast<int64_t>(rows.size()) == std::llround(fraction * 351));
  }
}

TEST_CASE("split parts partition the set", "[split]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 2);
  for (bool stratify : {true, false}) {
    const stages::SplitAssignment split = Split(labels, 0.15, 0.25, stratify, 0, 3);
    std::vector<int> seen(labels.size(), 0);
    for (PartChoice choice : {PartChoice::kTrain, PartChoice::kValidation, PartChoice::kTest}) {
      for (int64_t row : stages::SelectPart(split.part, {}, choice, -1)) ++seen[size_t(row)];
    }
    for (size_t i = 0; i < seen.size(); ++i) {
      INFO("row " << i << " stratify " << stratify);
      CHECK(seen[i] == 1);
    }
    CHECK(stages::SelectPart(split.part, {}, PartChoice::kAll, -1).size() == labels.size());
    CHECK(split.fold.empty());
  }
}

TEST_CASE("unstratified split hits the rounded totals", "[split]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 4);
  const stages::SplitAssignment split = Split(labels, 0.3, 0.0, false, 0, 5);
  CHECK(stages::SelectPart(split.part, {}, PartChoice::kValidation, -1).size() == 105);
  CHECK(stages::SelectPart(split.part, {}, PartChoice::kTest, -1).empty());
  CHECK(stages::SelectPart(split.part, {}, PartChoice::kTrain, -1).size() == 246);
}

TEST_CASE("k-fold folds cover the train part exactly once and are balanced", "[split]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 5);
  constexpr int64_t kFolds = 4;
  const stages::SplitAssignment split = Split(labels, 0.1, 0.1, true, kFolds, 9);
  REQUIRE(split.fold.size() == labels.size());

  std::vector<int64_t> fold_sizes(kFolds, 0);
  std::vector<std::vector<int64_t>> class_fold(5, std::vector<int64_t>(kFolds, 0));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (split.part[i] == static_cast<int32_t>(Part::kTrain)) {
      REQUIRE(split.fold[i] >= 0);
      REQUIRE(split.fold[i] < kFolds);
      ++fold_sizes[size_t(split.fold[i])];
      ++class_fold[size_t(labels[i])][size_t(split.fold[i])];
    } else {
      CHECK(split.fold[i] == -1);
    }
  }
  const auto [smallest, largest] = std::minmax_element(fold_sizes.begin(), fold_sizes.end());
  CHECK(*largest - *smallest <= 1);
  for (size_t c = 0; c < class_fold.size(); ++c) {
    const auto [low, high] = std::minmax_element(class_fold[c].begin(), class_fold[c].end());
    INFO("class " << c);
    CHECK(*high - *low <= 1);
  }
}

TEST_CASE("selecting fold f gives disjoint train and validation whose union is the train part",
          "[split]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 6);
  const stages::SplitAssignment split = Split(labels, 0.2, 0.0, true, 3, 11);
  const std::vector<int64_t> train_part =
      stages::SelectPart(split.part, split.fold, PartChoice::kTrain, -1);
  std::set<int64_t> validation_union;
  for (int64_t f = 0; f < 3; ++f) {
    const std::vector<int64_t> train =
        stages::SelectPart(split.part, split.fold, PartChoice::kTrain, f);
    const std::vector<int64_t> validation =
        stages::SelectPart(split.part, split.fold, PartChoice::kValidation, f);
    std::set<int64_t> joined(train.begin(), train.end());
    for (int64_t row : validation) {
      CHECK(joined.insert(row).second);  // disjoint
      CHECK(validation_union.insert(row).second);  // each fold validates different rows
    }
    CHECK(std::vector<int64_t>(joined.begin(), joined.end()) == train_part);
  }
  CHECK(std::vector<int64_t>(validation_union.begin(), validation_union.end()) == train_part);
}

TEST_CASE("the same seed gives the same split and another seed a different one",
          "[split][determinism]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 7);
  const stages::SplitAssignment a = Split(labels, 0.2, 0.1, true, 3, 13);
  const stages::SplitAssignment b = Split(labels, 0.2, 0.1, true, 3, 13);
  const stages::SplitAssignment c = Split(labels, 0.2, 0.1, true, 3, 14);
  CHECK(a.part == b.part);
  CHECK(a.fold == b.fold);
  CHECK(a.part != c.part);
}

TEST_CASE("the test part does not move when only the validation fraction changes", "[split]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 8);
  const stages::SplitAssignment a = Split(labels, 0.1, 0.2, true, 0, 21);
  const stages::SplitAssignment b = Split(labels, 0.3, 0.2, true, 0, 21);
  CHECK(stages::SelectPart(a.part, {}, PartChoice::kTest, -1) ==
        stages::SelectPart(b.part, {}, PartChoice::kTest, -1));
}

TEST_CASE("a split that leaves no training data is rejected", "[split]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 9);
  CHECK_THROWS_AS(Split(labels, 0.6, 0.4, true, 0, 1), pipeline::StageError);
  CHECK_THROWS_AS(Split(labels, 1.0, 0.0, true, 0, 1), pipeline::StageError);
  CHECK_THROWS_AS(stages::ParsePartChoice("tran"), pipeline::StageError);
}
