#include "stages/resample/sampling.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <set>

#include "tests/stages/resample/resample_test_data.h"

using resample_testing::Counts;
using resample_testing::ShuffledLabels;

namespace {

const std::vector<int> kSizes = {120, 80, 40, 9};

std::vector<int32_t> LabelsOf(const std::vector<int32_t>& labels,
                              const std::vector<int64_t>& rows) {
  std::vector<int32_t> out;
  for (int64_t row : rows) out.push_back(labels[static_cast<size_t>(row)]);
  return out;
}

bool StrictlyAscending(const std::vector<int64_t>& rows) {
  return std::adjacent_find(rows.begin(), rows.end(), std::greater_equal<int64_t>()) ==
         rows.end();
}

}  // namespace

TEST_CASE("imbalance keep counts round as documented", "[sampling]") {
  CHECK(stages::ImbalanceKeepCount(6000, 0.016, 0) == 96);   // Fashion-MNIST shirt, 1.6%
  CHECK(stages::ImbalanceKeepCount(1000, 0.0125, 0) == 13);  // 12.5 rounds up
  CHECK(stages::ImbalanceKeepCount(1000, 0.0124, 0) == 12);
  CHECK(stages::ImbalanceKeepCount(10, 0.01, 0) == 1);       // never below one
  CHECK(stages::ImbalanceKeepCount(0, 0.5, 0) == 0);
  CHECK(stages::ImbalanceKeepCount(50, 0.5, 7) == 7);        // keep overrides fraction
  CHECK(stages::ImbalanceKeepCount(5, 0.5, 7) == 5);
}

TEST_CASE("imbalance keeps the exact count of the chosen classes and all of the others",
          "[sampling]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 1);
  const std::vector<int64_t> rows =
      stages::ImbalanceRows(labels, 4, {0, 2}, 0.1, 0, pipeline::Rng(3));
  CHECK(Counts(LabelsOf(labels, rows), 4) == std::vector<int64_t>{12, 80, 4, 9});
  CHECK(StrictlyAscending(rows));
  // A different seed keeps different members of class 0.
  const std::vector<int64_t> other =
      stages::ImbalanceRows(labels, 4, {0, 2}, 0.1, 0, pipeline::Rng(4));
  CHECK(other.size() == rows.size());
  CHECK(other != rows);
  const std::vector<int64_t> kept =
      stages::ImbalanceRows(labels, 4, {3}, 0.5, 2, pipeline::Rng(3));
  CHECK(Counts(LabelsOf(labels, kept), 4) == std::vector<int64_t>{120, 80, 40, 2});
}

TEST_CASE("oversampling repeats each chosen example exactly factor times", "[sampling]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 2);
  for (int64_t factor : {1, 2, 5}) {
    const std::vector<int64_t> rows = stages::OversampleRows(labels, {1, 3}, factor);
    CHECK(Counts(LabelsOf(labels, rows), 4) ==
              std::vector<int64_t>{120, 80 * factor, 40, 9 * factor});
    std::vector<int64_t> times(labels.size(), 0);
    for (int64_t row : rows) ++times[size_t(row)];
    for (size_t i = 0; i < labels.size(); ++i) {
      INFO("row " << i << " factor " << factor);
      CHECK(times[i] == (labels[i] == 1 || labels[i] == 3 ? factor : 1));
    }
    // The originals come first, in order.
    for (size_t i = 0; i < labels.size(); ++i) CHECK(rows[i] == static_cast<int64_t>(i));
  }
}

TEST_CASE("undersampling caps every class", "[sampling]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 3);
  const std::vector<int64_t> capped = stages::UndersampleRows(labels, 5, 50, pipeline::Rng(1));
  CHECK(Counts(LabelsOf(labels, capped), 5) == std::vector<int64_t>{50, 50, 40, 9, 0});
  CHECK(StrictlyAscending(capped));
  // 0: the smallest class present (9; the empty class 4 does not count).
  const std::vector<int64_t> smallest = stages::UndersampleRows(labels, 5, 0, pipeline::Rng(1));
  CHECK(Counts(LabelsOf(labels, smallest), 5) == std::vector<int64_t>{9, 9, 9, 9, 0});
}

TEST_CASE("an unlimited subset is a permutation of all rows", "[sampling]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 4);
  stages::SubsetOptions options;
  std::vector<int64_t> rows = stages::SubsetRows({}, 249, 0, options, pipeline::Rng(2));
  std::vector<int64_t> identity(249);
  std::iota(identity.begin(), identity.end(), int64_t{0});
  CHECK(rows != identity);
  std::sort(rows.begin(), rows.end());
  CHECK(rows == identity);
}

TEST_CASE("a limited subset takes the first rows without shuffling", "[sampling]") {
  stages::SubsetOptions options;
  options.limit = 5;
  options.shuffle = false;
  CHECK(stages::SubsetRows({}, 249, 0, options, pipeline::Rng(2)) ==
        std::vector<int64_t>{0, 1, 2, 3, 4});
  options.shuffle = true;
  const std::vector<int64_t> random = stages::SubsetRows({}, 249, 0, options, pipeline::Rng(2));
  CHECK(random.size() == 5);
  CHECK(std::set<int64_t>(random.begin(), random.end()).size() == 5);
}

TEST_CASE("a stratified subset keeps class proportions", "[sampling]") {
  const std::vector<int32_t> labels = ShuffledLabels(kSizes, 5);
  stages::SubsetOptions options;
  options.limit = 100;
  options.stratified = true;
  for (bool shuffle : {true, false}) {
    options.shuffle = shuffle;
    const std::vector<int64_t> rows = stages::SubsetRows(labels, 249, 4, options, pipeline::Rng(6));
    REQUIRE(rows.size() == 100);
    CHECK(std::set<int64_t>(rows.begin(), rows.end()).size() == 100);
    const std::vector<int64_t> counts = Counts(LabelsOf(labels, rows), 4);
    for (size_t c = 0; c < kSizes.size(); ++c) {
      INFO("class " << c << " shuffle " << shuffle);
      CHECK(std::abs(static_cast<double>(counts[c]) - 100.0 * kSizes[c] / 249) < 1.0);
    }
    CHECK(StrictlyAscending(rows) == !shuffle);
  }
}
