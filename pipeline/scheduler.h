#pragma once
// Scheduler: runs the stage instances of a Dag that are not cached yet, in parallel on TBB.
//
// Concurrency: at most `jobs` stages run at once (a task_arena of `jobs` slots), and each gets
// `threads_per_stage` threads (its own nested arena, and OpenMP's count for oneDNN), so the
// machine never runs more than jobs * threads_per_stage busy threads. Ready stages are started
// in run order (the stages of run 1 before those of run 2) so finished runs appear early.
//
// Failure isolation: a failed stage marks every stage downstream of it skipped, with the reason,
// and the runs that contain them failed; independent runs go on. After Ctrl-C (the cancel flag)
// no new stage starts, running ones stop at their next CheckCancelled() and are recorded as
// interrupted.
//
// Every state change goes to the database through the StoreWriter. Not copyable; Run() once.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/dag.h"
#include "pipeline/executor.h"

namespace pipeline {

class ArtifactCache;
class Clock;
class StoreWriter;

struct ScheduleOptions {
  int jobs = 1;
  int threads_per_stage = 1;
};

// Receives progress events; called from worker threads, one call at a time.
class ProgressReporter {
 public:
  virtual ~ProgressReporter() = default;
  virtual void OnStageStarted(const DagNode& node, int threads) = 0;
  virtual void OnStageFinished(const DagNode& node, const StageOutcome& outcome) = 0;
  virtual void OnRunFinished(size_t run_index, const std::string& status) = 0;
};

struct ScheduleResult {
  size_t stages_done = 0;
  size_t stages_failed = 0;
  size_t stages_failed_on_data = 0;  // of stages_failed: a missing or malformed data file
  size_t stages_skipped = 0;
  size_t stages_interrupted = 0;
  size_t runs_done = 0;
  size_t runs_failed = 0;
  size_t runs_interrupted = 0;
  bool cancelled = false;
};

class Scheduler {
 public:
  // `executor` runs each stage; `cache` provides the outputs of cached inputs.
  Scheduler(const Dag& dag, ArtifactCache& cache, StageExecutor& executor, StoreWriter& writer,
            Clock& clock, ScheduleOptions options, const std::atomic<bool>* cancel_flag,
            ProgressReporter* progress);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // `cached[n]`: node n's output is already in the cache and recorded done. `run_ids[r]`: the
  // database id of run r. Runs whose nodes are all cached are not touched.
  ScheduleResult Run(const std::vector<bool>& cached, const std::vector<int64_t>& run_ids);

 private:
  struct State;
  void RunOne(State& state);
  void Finish(State& state, size_t node, const StageOutcome& outcome);
  void SkipDownstream(State& state, size_t failed_node, const std::string& reason);
  void NodeSettled(State& state, size_t node, const std::string& status, const std::string& error);
  std::vector<ArtifactPtr> GatherInputs(State& state, size_t node);

  const Dag& dag_;
  ArtifactCache& cache_;
  StageExecutor& executor_;
  StoreWriter& writer_;
  Clock& clock_;
  ScheduleOptions options_;
  const std::atomic<bool>* cancel_flag_;
  ProgressReporter* progress_;
};

}  // namespace pipeline
