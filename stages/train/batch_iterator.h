#pragma once
// BatchIterator: which examples each mini-batch of each epoch holds, and gathering those rows
// into contiguous buffers.
//
// Epoch e visits the examples in the order EpochOrder(e): 0, 1, ..., N-1 when shuffle is off,
// else a Fisher-Yates shuffle drawn from rng.Fork(e), where rng is the generator given at
// construction (pass one reserved for shuffling, e.g. ctx.rng().Fork(<shuffle stream>)). The
// order is therefore a function of (seed, epoch) only: a run resumed at epoch e sees the same
// batches as an uninterrupted one, and the order never depends on the thread count. Batch b of
// an epoch holds positions [b * batch_size, min((b + 1) * batch_size, N)) of that order; with
// drop_last the last, shorter batch is skipped.
//
// Immutable after construction and thread-safe; an EpochBatches is a value owned by the caller.

#include <cstdint>
#include <vector>

#include "pipeline/rng.h"

namespace pipeline {
class Tensor;
}

namespace stages {

struct BatchOptions {
  int64_t batch_size = 100;  // >= 1
  bool shuffle = true;       // false: every epoch visits 0 .. N-1 in order (evaluation)
  bool drop_last = false;    // skip the last batch when it is shorter than batch_size
};

// One batch: `size` example indices starting at `indices`, valid while its EpochBatches lives.
struct BatchIndices {
  const int64_t* indices = nullptr;
  int64_t size = 0;
};

class EpochBatches {
 public:
  EpochBatches(std::vector<int64_t> order, int64_t batch_size, int64_t batch_count);
  int64_t count() const { return batch_count_; }
  BatchIndices Batch(int64_t b) const;  // b in [0, count())
  const std::vector<int64_t>& order() const { return order_; }

 private:
  std::vector<int64_t> order_;
  int64_t batch_size_;
  int64_t batch_count_;
};

class BatchIterator {
 public:
  // Throws StageError if examples < 0, batch_size < 1, or drop_last leaves no batch at all.
  BatchIterator(int64_t examples, const BatchOptions& options, const pipeline::Rng& rng);

  int64_t examples() const { return examples_; }
  // Batches per epoch: N / B with drop_last, ceil(N / B) without.
  int64_t BatchCount() const;
  // Examples visited per epoch (N, or N rounded down to a multiple of B with drop_last).
  int64_t ExamplesPerEpoch() const;
  std::vector<int64_t> EpochOrder(int64_t epoch) const;
  EpochBatches Epoch(int64_t epoch) const;

 private:
  int64_t examples_;
  BatchOptions options_;
  pipeline::Rng rng_;
};

// Copies rows indices[0 .. count) of `x` (float32 [N, ...]) into `out`, one after another
// (count x row_size floats), in parallel over fixed blocks of rows. Throws StageError if x is
// not float32 or an index is outside [0, N).
void GatherRows(const pipeline::Tensor& x, const BatchIndices& batch, float* out);
// The same for int32 labels `y` [N].
void GatherLabels(const pipeline::Tensor& y, const BatchIndices& batch, int32_t* out);

}  // namespace stages
