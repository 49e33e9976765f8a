#pragma once
// How the TPE sampler orders the trials so far before splitting them into the good ("below")
// and the rest ("above"): Optuna 3.1's _get_observation_pairs and _split_observation_pairs for
// one objective.

#include <cstddef>
#include <vector>

#include "pipeline/search/search_space.h"

namespace pipeline {

struct TrialSplit {
  std::vector<size_t> below;  // indices into the history, in trial-number order
  std::vector<size_t> above;
};

// The indices of the done and pruned trials in `history`, best first: done trials by objective
// (smaller first when minimising, larger when maximising), then pruned trials, those with the
// larger step first and, on equal steps, by intermediate value in the objective's direction.
// Ties keep history order. Running and failed trials are left out.
std::vector<size_t> RankTrials(const std::vector<TrialRecord>& history, Direction direction);

// The best `n_below` ranked trials and the rest, each sorted back into history order (the
// order the weights of DefaultTpeWeights are defined in).
TrialSplit SplitTrials(const std::vector<TrialRecord>& history, Direction direction,
                       size_t n_below);

// Optuna's default_gamma: min(ceil(0.1 n), 25) trials form the "below" set.
size_t DefaultTpeGamma(size_t n);

}  // namespace pipeline
