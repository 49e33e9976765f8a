#pragma once
// Sampler: proposes the values of the next trial of a search from the trials so far (Optuna's
// ask). Two implementations:
//
// - random: every value drawn independently from its distribution (log distributions
//   uniformly in log space, ints uniformly among the whole numbers, choices uniformly);
// - TPE (Bergstra et al. 2011, as Optuna 3.1's default TPESampler): after `startup_trials`
//   random trials, the finished trials are split into the best gamma(n) = min(ceil(0.1 n), 25)
//   ("below") and the rest ("above"); each parameter gets two independent Parzen estimators
//   l(x) and g(x) (truncated Gaussians at the observations plus a prior, in log space for log
//   distributions; categorical weights for choices), `ei_candidates` candidates are drawn from
//   l(x), and the one with the largest log l(x) - log g(x) wins. Pruned trials rank after every
//   finished one, those that got further first; failed and running trials are not used.
//
// Samplers hold no state between calls: the history and the trial's Rng (seeded from the
// study seed and the trial number) determine the proposal, so a search resumed from the
// database proposes exactly what an uninterrupted one would.

#include <memory>
#include <string>
#include <vector>

#include "pipeline/rng.h"
#include "pipeline/search/search_space.h"

namespace pipeline {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The values of the next trial, aligned with `space`: a double for uniform / loguniform, an
  // integer for int / logint, one of the `choices` for choice. `history` holds every earlier
  // trial in number order, in any state.
  virtual std::vector<Json> Sample(const SearchSpace& space,
                                   const std::vector<TrialRecord>& history, Rng& rng) const = 0;
};

struct TpeOptions {
  int startup_trials = 10;
  int ei_candidates = 24;
  double prior_weight = 1.0;
};

std::unique_ptr<Sampler> MakeRandomSampler();
std::unique_ptr<Sampler> MakeTpeSampler(Direction direction, TpeOptions options = {});

}  // namespace pipeline
