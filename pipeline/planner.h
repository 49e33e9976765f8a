#pragma once
// Planner: decides which runs a study executes, in batches, above the scheduler (ask/tell).
// `pipeline run` asks for a batch, executes it (sharing and caching as usual), tells the
// planner how each run ended, and asks again until the planner has nothing more; so a planner
// may choose later runs from earlier results (a random or TPE search, pruning). The grid is
// the first planner: every run of the expanded study in one batch.
//
// Runs are RunSpecs as grid.h makes them: a planner that samples parameters builds them from
// the study's declarations the same way, so stage keys, sharing and the database do not care
// which planner produced a run.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/grid.h"

namespace pipeline {

// How one run of a batch ended.
struct RunOutcome {
  int64_t run_id = 0;
  std::string status;  // status::kDone, kFailed or kInterrupted
  // The last value of each metric of the run's stages ("stage.metric"); filled only for a
  // planner whose wants_metrics() is true.
  std::map<std::string, double> final_metrics;
};

class Planner {
 public:
  virtual ~Planner() = default;
  // The next runs to execute; empty when the study is complete.
  virtual std::vector<RunSpec> Ask() = 0;
  // The outcomes of the last batch, aligned with what Ask returned.
  virtual void Tell(const std::vector<RunSpec>& runs, const std::vector<RunOutcome>& outcomes) = 0;
  virtual bool wants_metrics() const { return false; }
};

// Every run of an expanded grid, once, in one batch.
class GridPlanner : public Planner {
 public:
  explicit GridPlanner(std::vector<RunSpec> runs) : runs_(std::move(runs)) {}
  std::vector<RunSpec> Ask() override;
  void Tell(const std::vector<RunSpec>&, const std::vector<RunOutcome>&) override {}

 private:
  std::vector<RunSpec> runs_;
  bool asked_ = false;
};

}  // namespace pipeline
