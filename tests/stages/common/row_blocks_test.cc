#include "stages/common/row_blocks.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <vector>

#include <tbb/task_arena.h>

#include "pipeline/rng.h"
#include "tests/stages/stage_harness.h"

using stage_testing::InArena;

namespace {

// Values spanning 16 orders of magnitude: a sum of them depends on the order of additions.
std::vector<double> OrderSensitiveValues(size_t count) {
  pipeline::Rng rng(17);
  std::vector<double> values(count);
  for (double& v : values) v = rng.Normal() * std::pow(10.0, rng.Uniform(-8.0, 8.0));
  return values;
}

// Work per row, so that a second thread has time to steal blocks.
double Slow(double value) {
  double x = value;
  for (int i = 0; i < 2000; ++i) x = std::sin(x) + value;
  return x;
}

}  // namespace

TEST_CASE("row-block sums are identical with 1 and 2 threads", "[row_blocks][determinism]") {
  const std::vector<double> values = OrderSensitiveValues(1024);
  std::atomic<bool> second_thread{false};
  const auto sum = [&] {
    return stages::ReduceRowBlocks(
        static_cast<int64_t>(values.size()), 16, 0.0,
        [&](int64_t begin, int64_t end, double& partial) {
          if (tbb::this_task_arena::current_thread_index() > 0) second_thread = true;
          for (int64_t i = begin; i < end; ++i) partial += Slow(values[static_cast<size_t>(i)]);
        });
  };
  const double one = InArena(1, sum);
  const double two = InArena(2, sum);
  CHECK(one == two);
  if (!second_thread) WARN("only one thread took part; the comparison proves little");

  double sequential = 0.0;
  for (double v : values) sequential += Slow(v);
  CHECK(two == Approx(sequential));
}

TEST_CASE("row-block loops visit every row exactly once", "[row_blocks]") {
  std::vector<int> visits(1000, 0);
  InArena(2, [&] {
    stages::ForEachRowBlock(1000, 64, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) visits[static_cast<size_t>(i)] += 1;
    });
    return 0;
  });
  CHECK(std::count(visits.begin(), visits.end(), 1) == 1000);
  CHECK(stages::RowBlockCount(1000, 64) == 16);
  CHECK(stages::RowBlockCount(0, 64) == 0);
}
