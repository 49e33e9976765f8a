#pragma once
// Parallel loops over fixed blocks of rows whose results do not depend on the number of threads.
//
// The rows [0, rows) are cut into consecutive blocks of `block_rows` rows (the last block may be
// shorter). The cut depends only on `rows` and `block_rows`, never on the thread count, so:
//   - ForEachRowBlock suits loops whose blocks write disjoint outputs;
//   - ReduceRowBlocks sums per-block partial results with
//     tbb::parallel_deterministic_reduce, whose split and join tree is fixed by the range and
//     grain size alone. Floating-point sums therefore come out bit-identical with 1 or N threads.
// Both run in the calling thread's task arena, so they use at most the stage's thread share.

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cstdint>

namespace stages {

inline int64_t RowBlockCount(int64_t rows, int64_t block_rows) {
  return rows <= 0 ? 0 : (rows + block_rows - 1) / block_rows;
}

// Calls block_fn(begin, end) once per block, in parallel. Blocks must not write shared state.
template <typename BlockFn>
void ForEachRowBlock(int64_t rows, int64_t block_rows, const BlockFn& block_fn) {
  const int64_t blocks = RowBlockCount(rows, block_rows);
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, blocks, 1),
                    [&](const tbb::blocked_range<int64_t>& range) {
                      for (int64_t b = range.begin(); b < range.end(); ++b) {
                        block_fn(b * block_rows, std::min(rows, (b + 1) * block_rows));
                      }
                    });
}

// Returns the sum over blocks of the partial results that accumulate(begin, end, partial) adds
// into `partial`, starting from copies of `zero`. Value needs a copy constructor and +=.
template <typename Value, typename AccumulateFn>
Value ReduceRowBlocks(int64_t rows, int64_t block_rows, const Value& zero,
                      const AccumulateFn& accumulate) {
  const int64_t blocks = RowBlockCount(rows, block_rows);
  if (blocks == 0) return zero;
  return tbb::parallel_deterministic_reduce(
      tbb::blocked_range<int64_t>(0, blocks, 1), zero,
      [&](const tbb::blocked_range<int64_t>& range, const Value& init) {
        Value partial = init;
        for (int64_t b = range.begin(); b < range.end(); ++b) {
          accumulate(b * block_rows, std::min(rows, (b + 1) * block_rows), partial);
        }
        return partial;
      },
      [](Value left, const Value& right) {
        left += right;
        return left;
      });
}

}  // namespace stages
