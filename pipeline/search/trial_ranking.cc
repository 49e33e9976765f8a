#include "pipeline/search/trial_ranking.h"

// Implementation notes: Optuna scores a finished trial (-inf, sign * value) and a pruned one
// (-step, sign * intermediate) and sorts the pairs lexicographically with a stable sort; the
// same key is built here. A NaN intermediate value ranks last among its step, as Optuna's
// replacement by +inf does.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

namespace pipeline {

std::vector<size_t> RankTrials(const std::vector<TrialRecord>& history, Direction direction) {
  const double sign = direction == Direction::kMinimize ? 1.0 : -1.0;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::pair<std::pair<double, double>, size_t>> keyed;
  for (size_t i = 0; i < history.size(); ++i) {
    const TrialRecord& trial = history[i];
    if (trial.state == trial_state::kDone) {
      const double score = std::isnan(trial.value) ? inf : sign * trial.value;
      keyed.push_back({{-inf, score}, i});
    } else if (trial.state == trial_state::kPruned) {
      const double score = std::isnan(trial.intermediate) ? inf : sign * trial.intermediate;
      keyed.push_back({{-static_cast<double>(trial.step), score}, i});
    }
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<size_t> ranked;
  ranked.reserve(keyed.size());
  for (const auto& entry : keyed) ranked.push_back(entry.second);
  return ranked;
}

TrialSplit SplitTrials(const std::vector<TrialRecord>& history, Direction direction,
                       size_t n_below) {
  const std::vector<size_t> ranked = RankTrials(history, direction);
  const size_t cut = std::min(n_below, ranked.size());
  TrialSplit split;
  split.below.assign(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(cut));
  split.above.assign(ranked.begin() + static_cast<std::ptrdiff_t>(cut), ranked.end());
  std::sort(split.below.begin(), split.below.end());
  std::sort(split.above.begin(), split.above.end());
  return split;
}

size_t DefaultTpeGamma(size_t n) { return std::min<size_t>((n + 9) / 10, 25); }

}  // namespace pipeline
