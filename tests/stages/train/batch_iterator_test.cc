#include "stages/train/batch_iterator.h"

#include <tbb/task_arena.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <vector>

#include "pipeline/errors.h"
#include "pipeline/tensor.h"

using stages::BatchIterator;
using stages::BatchOptions;

namespace {

BatchOptions Options(int64_t batch_size, bool shuffle, bool drop_last) {
  BatchOptions options;
  options.batch_size = batch_size;
  options.shuffle = shuffle;
  options.drop_last = drop_last;
  return options;
}

// All indices of one epoch, batch after batch.
std::vector<int64_t> Visited(const stages::EpochBatches& epoch) {
  std::vector<int64_t> visited;
  for (int64_t b = 0; b < epoch.count(); ++b) {
    const stages::BatchIndices batch = epoch.Batch(b);
    visited.insert(visited.end(), batch.indices, batch.indices + batch.size);
  }
  return visited;
}

}  // namespace

TEST_CASE("every index is visited exactly once per epoch", "[batch_iterator]") {
  const BatchIterator iterator(1003, Options(100, true, false), pipeline::Rng(7));
  CHECK(iterator.BatchCount() == 11);
  CHECK(iterator.ExamplesPerEpoch() == 1003);
  for (const int64_t epoch : {0, 1, 5}) {
    const stages::EpochBatches batches = iterator.Epoch(epoch);
    REQUIRE(batches.count() == 11);
    for (int64_t b = 0; b < 10; ++b) CHECK(batches.Batch(b).size == 100);
    CHECK(batches.Batch(10).size == 3);
    std::vector<int64_t> visited = Visited(batches);
    std::sort(visited.begin(), visited.end());
    std::vector<int64_t> all(1003);
    std::iota(all.begin(), all.end(), int64_t{0});
    CHECK(visited == all);
  }
}

TEST_CASE("drop_last skips the short batch", "[batch_iterator]") {
  const BatchIterator iterator(1003, Options(100, true, true), pipeline::Rng(7));
  CHECK(iterator.BatchCount() == 10);
  CHECK(iterator.ExamplesPerEpoch() == 1000);
  const std::vector<int64_t> visited = Visited(iterator.Epoch(2));
  CHECK(visited.size() == 1000);
  // The skipped examples are the last three of this epoch's order, different each epoch.
  const std::vector<int64_t> order = iterator.EpochOrder(2);
  CHECK(std::equal(visited.begin(), visited.end(), order.begin()));
  CHECK_THROWS_AS(BatchIterator(50, Options(100, true, true), pipeline::Rng(1)),
                  pipeline::StageError);
  CHECK(BatchIterator(50, Options(100, true, false), pipeline::Rng(1)).BatchCount() == 1);
  CHECK(BatchIterator(0, Options(100, true, false), pipeline::Rng(1)).BatchCount() == 0);
}

TEST_CASE("the order depends on seed and epoch only", "[batch_iterator][determinism]") {
  const BatchIterator a(500, Options(32, true, false), pipeline::Rng(11));
  const BatchIterator b(500, Options(32, true, false), pipeline::Rng(11));
  const BatchIterator other_seed(500, Options(32, true, false), pipeline::Rng(12));
  CHECK(a.EpochOrder(3) == b.EpochOrder(3));
  CHECK(a.EpochOrder(3) != a.EpochOrder(4));
  CHECK(a.EpochOrder(0) != a.EpochOrder(1));
  CHECK(a.EpochOrder(3) != other_seed.EpochOrder(3));
  // Epoch e is rng.Fork(e)'s shuffle: asking for epochs out of order changes nothing.
  const std::vector<int64_t> epoch7 = b.EpochOrder(7);
  b.EpochOrder(1);
  CHECK(b.EpochOrder(7) == epoch7);
  std::vector<int64_t> expected(500);
  std::iota(expected.begin(), expected.end(), int64_t{0});
  pipeline::Rng fork = pipeline::Rng(11).Fork(7);
  fork.Shuffle(expected);
  CHECK(epoch7 == expected);
}

TEST_CASE("without shuffling every epoch is 0 .. N-1", "[batch_iterator]") {
  const BatchIterator iterator(10, Options(4, false, false), pipeline::Rng(3));
  const std::vector<int64_t> visited = Visited(iterator.Epoch(9));
  CHECK(visited == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("gathering copies the selected rows and labels", "[batch_iterator]") {
  // x[i] = {i, i + 0.5, i + 0.25} as a [N, 1, 3] tensor; y[i] = 10 i.
  const int64_t n = 3000;
  pipeline::Tensor x(pipeline::DType::kFloat32, {n, 1, 3});
  for (int64_t i = 0; i < n; ++i) {
    x.f32()[3 * i] = float(i);
    x.f32()[3 * i + 1] = float(i) + 0.5f;
    x.f32()[3 * i + 2] = float(i) + 0.25f;
  }
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[size_t(i)] = int32_t(10 * i);
  const pipeline::Tensor y = pipeline::Tensor::FromVector(labels);

  const BatchIterator iterator(n, Options(2500, true, false), pipeline::Rng(5));
  const stages::EpochBatches epoch = iterator.Epoch(0);
  const stages::BatchIndices batch = epoch.Batch(0);
  REQUIRE(batch.size == 2500);
  std::vector<float> rows(2500 * 3);
  std::vector<int32_t> batch_labels(2500);
  tbb::task_arena arena(2);
  arena.execute([&] {
    stages::GatherRows(x, batch, rows.data());
    stages::GatherLabels(y, batch, batch_labels.data());
  });
  for (int64_t i = 0; i < batch.size; ++i) {
    const int64_t source = batch.indices[i];
    CHECK(rows[size_t(3 * i)] == float(source));
    CHECK(rows[size_t(3 * i + 1)] == float(source) + 0.5f);
    CHECK(rows[size_t(3 * i + 2)] == float(source) + 0.25f);
    CHECK(batch_labels[size_t(i)] == 10 * source);
  }

  const int64_t bad_index = n;
  CHECK_THROWS_AS(stages::GatherRows(x, {&bad_index, 1}, rows.data()), pipeline::StageError);
  CHECK_THROWS_AS(stages::GatherRows(y, batch, rows.data()), pipeline::StageError);
}
