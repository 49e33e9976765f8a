#pragma once
// Pruner: decides, while a trial trains, whether it goes on (Optuna's pruners, asynchronous).
//
// - asha (successive halving, Li et al. 2018, as Optuna's SuccessiveHalvingPruner with
//   min_early_stopping_rate 0): rungs at steps min_epochs * reduction_factor^k. A trial that
//   reaches a rung records its value there and goes on only if that value is among the best
//   1/reduction_factor of all values recorded at the rung so far (while fewer than
//   reduction_factor trials are there: only if it is the best). Nothing waits for other trials.
// - median (Optuna's MedianPruner): from step min_epochs on, once `startup_trials` trials have
//   finished, a trial stops when its best value so far is worse than the median of the
//   finished trials' values at the same step.
//
// The pruner holds what it has seen (trials' values at decision steps, which trials finished)
// and is rebuilt from the database's trial_rungs when a search resumes. A decision, once
// taken, is final: asking again for the same trial and step returns it (a resumed trial logs
// its earlier epochs again). Not thread-safe; the search planner serialises calls.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/search/search_config.h"
#include "pipeline/search/search_space.h"

namespace pipeline {

struct PruneDecision {
  int64_t rung = 0;  // asha: k; median: the step
  int64_t step = 0;
  double value = 0;
  bool prune = false;
  std::string reason;  // why it was pruned, for the run's error
};

class Pruner {
 public:
  virtual ~Pruner() = default;
  // Trial `trial` reports `value` of the watched metric at `step`. Returns the decision when the
  // step is a decision point (recorded, and the same on every later ask), else nullopt.
  virtual std::optional<PruneDecision> Report(int64_t trial, int64_t step, double value) = 0;
  // A decision taken earlier (from the database, when a search resumes).
  virtual void Restore(int64_t trial, const PruneDecision& decision) = 0;
  // Trial `trial` ran to its end (its curve so far counts for the median rule).
  virtual void Finished(int64_t trial) = 0;
};

// nullptr when config.type is "" (no pruning).
std::unique_ptr<Pruner> MakePruner(const PrunerConfig& config, Direction direction);

}  // namespace pipeline
