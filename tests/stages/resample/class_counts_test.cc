#include "stages/resample/class_counts.h"

#include <catch2/catch.hpp>
#include <numeric>

#include "pipeline/errors.h"

TEST_CASE("class counts and members follow the labels", "[class_counts]") {
  const std::vector<int32_t> labels = {2, 0, 2, 2, 0};
  CHECK(stages::NumClasses(labels, 0) == 3);
  CHECK(stages::NumClasses(labels, 10) == 10);
  CHECK(stages::CountClasses(labels, 4) == std::vector<int64_t>{2, 0, 3, 0});
  const auto members = stages::ClassMembers(labels, 3);
  CHECK(members[0] == std::vector<int64_t>{1, 4});
  CHECK(members[1].empty());
  CHECK(members[2] == std::vector<int64_t>{0, 2, 3});
  CHECK_THROWS_AS(stages::NumClasses({1, -1}, 0), pipeline::StageError);
}

TEST_CASE("proportional quotas give the largest remainders the extra units", "[class_counts]") {
  // 2.5 each: floors 6, total round(7.5) = 8, the two extra units to the lowest classes on a tie.
  CHECK(stages::ProportionalQuotas({10, 10, 10}, 0.25) == std::vector<int64_t>{3, 3, 2});
  // 0.29 * 100 is 28.999999999999996 in floating point; the quota is still exactly 29.
  CHECK(stages::ProportionalQuotas({100}, 0.29) == std::vector<int64_t>{29});
  // 1.4, 0.7, 2.8: floors 1, 0, 2; total round(4.9) = 5; remainders 0.8 (c2), 0.7 (c1).
  CHECK(stages::ProportionalQuotas({2, 1, 4}, 0.7) == std::vector<int64_t>{1, 1, 3});
  // Capacity blocks class 1's extra unit; it goes to the next remainder (class 0, 0.4) ...
  CHECK(stages::ProportionalQuotas({2, 1, 4}, 0.7, {2, 0, 3}) == std::vector<int64_t>{2, 0, 3});
  // ... unless that class is full too; then the total falls short by one.
  CHECK(stages::ProportionalQuotas({2, 1, 4}, 0.7, {1, 0, 3}) == std::vector<int64_t>{1, 0, 3});
  CHECK(stages::ProportionalQuotas({5, 0, 7}, 0.0) == std::vector<int64_t>{0, 0, 0});
}

TEST_CASE("proportional quotas stay within one of the exact share", "[class_counts]") {
  const std::vector<int64_t> counts = {6000, 5999, 17, 1, 0, 333, 4096};
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  for (double fraction : {0.016, 0.1, 0.2, 0.333, 0.5, 0.9}) {
    const std::vector<int64_t> quotas = stages::ProportionalQuotas(counts, fraction);
    int64_t sum = 0;
    for (size_t c = 0; c < counts.size(); ++c) {
      INFO("fraction " << fraction << " class " << c);
      CHECK(std::abs(static_cast<double>(quotas[c]) - fraction * static_cast<double>(counts[c])) < 1.0);
      sum += quotas[c];
    }
    CHECK(sum == std::llround(fraction * static_cast<double>(total)));
  }
}

TEST_CASE("chosen classes outside the data are rejected", "[class_counts]") {
  CHECK_NOTHROW(stages::CheckChosenClasses({0, 9}, 10));
  CHECK_THROWS_WITH(stages::CheckChosenClasses({10}, 10), Catch::Contains("classes are 0..9"));
  CHECK_THROWS_AS(stages::CheckChosenClasses({-1}, 10), pipeline::StageError);
}
