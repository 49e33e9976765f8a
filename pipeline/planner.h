#pragma once
// Planner: decides which runs a study executes, above the scheduler (ask/tell). `pipeline run`
// asks for runs, executes them (sharing and caching as usual) and tells the planner how each
// ended; while runs execute, the scheduler asks again each time one settles (scheduler.h,
// RunSource), so a planner may choose later runs from earlier results with no batch barrier
// (a random or TPE search, search_planner.h). The grid is the first planner: every run of the
// expanded study at the first ask.
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

struct DagRun;
class MetricObserver;
class Store;
class StoreWriter;

// How one run ended.
struct RunOutcome {
  int64_t run_id = 0;
  std::string status;  // status::kDone, kFailed, kPruned or kInterrupted
  // The last value of each metric of the run's stages ("stage.metric"); filled only for a
  // planner whose wants_metrics() is true.
  std::map<std::string, double> final_metrics;
};

class Planner {
 public:
  virtual ~Planner() = default;
  // Before the first ask, with the study's database: load what earlier sessions recorded (a
  // search's trials), so a resumed study continues where it stopped.
  virtual void Resume(Store& store, const std::string& study_name) {}
  // The next runs to execute, given that `free_slots` more could run at once now; empty when
  // there is nothing to start now (the study is complete, or a search waits for results). A
  // planner that needs no results to choose (the grid) returns every run at once.
  virtual std::vector<RunSpec> Ask(size_t free_slots) = 0;
  // A run Ask returned is in the DAG and in the database as run `run_id` (another grid point's
  // run when it resolves to the same stages). `writer` owns the database meanwhile.
  virtual void Placed(const RunSpec& spec, const DagRun& run, int64_t run_id, StoreWriter& writer) {}
  // How a run Ask returned ended; `writer` as above.
  virtual void Tell(const RunSpec& spec, const RunOutcome& outcome, StoreWriter& writer) {}
  virtual bool wants_metrics() const { return false; }
  // Watches the metrics of running stages and may stop them (a search's pruner); may be null.
  virtual MetricObserver* observer() { return nullptr; }
  // One line about the plan for the start of `pipeline run` ("search: tpe, 60 trials, ..."), or
  // "" for none.
  virtual std::string Describe() const { return {}; }
};

// Every run of an expanded grid, once, at the first ask.
class GridPlanner : public Planner {
 public:
  explicit GridPlanner(std::vector<RunSpec> runs) : runs_(std::move(runs)) {}
  std::vector<RunSpec> Ask(size_t free_slots) override;

 private:
  std::vector<RunSpec> runs_;
  bool asked_ = false;
};

}  // namespace pipeline
