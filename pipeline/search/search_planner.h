#pragma once
// SearchPlanner: a study's `search:` as a Planner — trials proposed by a sampler (random, TPE)
// or taken from the grid in order, each one run, stopped early by a pruner (asha, median)
// through the scheduler's MetricObserver, up to `trials` in total across sessions.
//
// The database is the search's memory: every proposed trial is a `trials` row (its sampled
// values, its run, its state), every pruner decision a `trial_rungs` row. Resume() rebuilds
// the history and the pruner from them; trials left running by a killed session are asked
// again first (their runs continue from their checkpoints), and new trials are drawn from an
// Rng seeded by (study seed, trial number). So with one run at a time, a resumed search
// proposes exactly the trials an uninterrupted one would.
//
// Thread-safe: Ask/Placed/Tell come from the scheduler (one at a time), Observe from running
// stages.

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/grid.h"
#include "pipeline/planner.h"
#include "pipeline/scheduler.h"
#include "pipeline/search/pruner.h"
#include "pipeline/search/sampler.h"
#include "pipeline/search/search_config.h"
#include "pipeline/study.h"

namespace pipeline {

class StageRegistry;

class SearchPlanner : public Planner, public MetricObserver {
 public:
  // `grid_runs`: the expanded grid, for the grid strategy. Throws ConfigError when the study's
  // values do not expand (a distribution whose bounds a parameter refuses, a list beside a
  // random / tpe search). Progress lines (one per finished trial) go to `out`.
  SearchPlanner(const Study& study, SearchConfig config, const StageRegistry& registry,
                std::vector<RunSpec> grid_runs, FILE* out);

  // The stage types and searched paths of the study's runs (for RunWithPlanner).
  const Grid& grid() const { return grid_; }
  // A run like the trials' (the first grid point, or the distributions' lower bounds).
  const RunSpec& example_run() const { return example_; }

  void Resume(Store& store, const std::string& study_name) override;
  std::vector<RunSpec> Ask(size_t free_slots) override;
  void Placed(const RunSpec& spec, const DagRun& run, int64_t run_id, StoreWriter& writer) override;
  void Tell(const RunSpec& spec, const RunOutcome& outcome, StoreWriter& writer) override;
  bool wants_metrics() const override { return true; }
  MetricObserver* observer() override { return pruner_ ? this : nullptr; }
  std::string Describe() const override;

  std::string Observe(const std::string& stage_key, const std::string& name, int64_t step,
                      double value) override;

 private:
  // The run of trial `number` with `values`; with `types`, also the expansion's stage types.
  RunSpec Build(int64_t number, const std::vector<Json>& values, Grid* types = nullptr) const;
  Json TrialParams(const TrialRecord& trial) const;
  void Save(const TrialRecord& trial, StoreWriter& writer);
  int64_t budget() const;

  Study study_;
  SearchConfig config_;
  const StageRegistry& registry_;
  std::vector<RunSpec> grid_runs_;
  FILE* out_;
  Grid grid_;
  RunSpec example_;
  uint64_t seed_ = 0;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Pruner> pruner_;

  mutable std::mutex mutex_;
  std::vector<TrialRecord> trials_;           // every trial, number order
  std::map<int64_t, int64_t> run_of_trial_;   // trial → run id
  std::vector<int64_t> to_resume_;            // trials left running by an earlier session
  std::map<std::string, int64_t> trial_of_key_;  // watched stage key → trial
  std::map<int64_t, PruneDecision> last_decision_;  // trial → its latest pruner decision
  int64_t study_id_ = 0;
  StoreWriter* writer_ = nullptr;  // the current batch's, for Observe
  int64_t best_trial_ = 0;
};

}  // namespace pipeline
