#pragma once
// Row selections that change how many examples of each class a set holds: random subsets,
// an artificially rare class, repeated (oversampled) classes and capped (undersampled) classes.
//
// Each function returns the row indices to keep, in the order the output should have; callers
// apply them to every row-aligned tensor with Tensor::SelectRows. Random choices come from
// rng.Fork(c) for class c and from one more fork for a final shuffle (named below), so they
// depend only on the rng's seed and the labels. All functions are pure and thread-safe.

#include <cstdint>
#include <vector>

#include "pipeline/rng.h"

namespace stages {

struct SubsetOptions {
  int64_t limit = 0;        // keep this many rows; 0 (or >= N) keeps all
  bool shuffle = true;      // random choice and random order; false: the first rows, in order
  bool stratified = false;  // keep class proportions (ProportionalQuotas) when limiting
};

// A random subset or permutation. Unstratified: a shuffle of all rows (rng.Fork(0)) cut to
// `limit`, or the first `limit` rows when !shuffle. Stratified: class c contributes its quota
// of `limit` * n_c / N rows (largest remainder, so exactly `limit` in total), chosen at random
// (or its first rows when !shuffle); the union is shuffled with rng.Fork(classes) (or kept in
// ascending order).
// `labels` may be empty when !stratified.
std::vector<int64_t> SubsetRows(const std::vector<int32_t>& labels, int64_t examples,
                                int64_t classes, const SubsetOptions& options,
                                const pipeline::Rng& rng);

// How many of `count` examples a rare class keeps: `keep` when keep > 0 (at most count),
// else round(fraction * count) rounding halves up (std::llround), but at least 1 so the class
// does not vanish; 0 when count is 0.
int64_t ImbalanceKeepCount(int64_t count, double fraction, int64_t keep);

// Keeps ImbalanceKeepCount(n_c, fraction, keep) randomly chosen examples of every chosen class
// and every example of the other classes, in ascending row order.
std::vector<int64_t> ImbalanceRows(const std::vector<int32_t>& labels, int64_t classes,
                                   const std::vector<int64_t>& chosen, double fraction,
                                   int64_t keep, const pipeline::Rng& rng);

// Every row once, in order, followed by (factor - 1) more copies of each row of a chosen class:
// copy round r = 1..factor-1 appends the chosen rows in ascending order. Each chosen example
// then appears exactly `factor` times. Deterministic.
std::vector<int64_t> OversampleRows(const std::vector<int32_t>& labels,
                                    const std::vector<int64_t>& chosen, int64_t factor);

// Keeps at most `per_class` randomly chosen examples of every class (0: the count of the
// smallest class present), in ascending row order.
std::vector<int64_t> UndersampleRows(const std::vector<int32_t>& labels, int64_t classes,
                                     int64_t per_class, const pipeline::Rng& rng);

}  // namespace stages
