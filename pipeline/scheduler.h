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
// Growing while it runs: with a RunSource, the scheduler asks for more runs at the start and
// whenever a run settles, so a search proposes its next trial the moment a slot frees up (no
// batch barrier). With a MetricObserver, every metric a stage logs is shown to it, and the
// stage stops (status pruned) once the observer says so.
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

// Runs added to the DAG while the scheduler runs (RunSource::More).
struct RunBatch {
  std::vector<int64_t> run_ids;   // database ids of the runs appended to the Dag, in order
  std::vector<bool> cached_nodes;  // for each node appended to the Dag: cached and done
};

// Feeds runs to a running scheduler. Both calls come under the scheduler's lock, one at a time,
// from whichever thread settled the last run; the source may append runs to the Dag (Dag::Add)
// only inside More.
class RunSource {
 public:
  virtual ~RunSource() = default;
  // Runs to add now, given how many added runs have not settled yet; empty when none.
  virtual RunBatch More(size_t unsettled_runs) = 0;
  // Run `run` (an index into Dag::runs) has settled with `status` (done, failed or pruned).
  virtual void Settled(size_t run, const std::string& status) = 0;
};

// Sees every metric a stage logs, from the stage's thread; returns a reason to stop the stage
// early, or "" (a search's pruner). Must be thread-safe.
class MetricObserver {
 public:
  virtual ~MetricObserver() = default;
  virtual std::string Observe(const std::string& stage_key, const std::string& name, int64_t step,
                              double value) = 0;
};

// Receives progress events; called from worker threads, one call at a time.
class ProgressReporter {
 public:
  virtual ~ProgressReporter() = default;
  virtual void OnStageStarted(const DagNode& node, int threads) = 0;
  virtual void OnStageFinished(const DagNode& node, const StageOutcome& outcome) = 0;
  virtual void OnRunFinished(size_t run_index, const std::string& status) = 0;
  // A RunSource added runs with this many stages to compute.
  virtual void OnWorkAdded(size_t runs, size_t stages) {}
};

struct ScheduleResult {
  size_t stages_done = 0;
  size_t stages_failed = 0;
  size_t stages_failed_on_data = 0;  // of stages_failed: a missing or malformed data file
  size_t stages_skipped = 0;
  size_t stages_interrupted = 0;
  size_t stages_pruned = 0;
  size_t runs_done = 0;
  size_t runs_failed = 0;
  size_t runs_interrupted = 0;
  size_t runs_pruned = 0;
  bool cancelled = false;
};

class Scheduler {
 public:
  // `executor` runs each stage; `cache` provides the outputs of cached inputs.
  Scheduler(const Dag& dag, ArtifactCache& cache, StageExecutor& executor, StoreWriter& writer,
            Clock& clock, ScheduleOptions options, const std::atomic<bool>* cancel_flag,
            ProgressReporter* progress, RunSource* source = nullptr,
            MetricObserver* observer = nullptr);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // `cached[n]`: node n's output is already in the cache and recorded done. `run_ids[r]`: the
  // database id of run r. Runs whose nodes are all cached are not touched. Runs the source adds
  // later follow the same rules.
  ScheduleResult Run(const std::vector<bool>& cached, const std::vector<int64_t>& run_ids);

 private:
  struct State;
  void RunOne(State& state);
  void Finish(State& state, size_t node, const StageOutcome& outcome);
  void SkipDownstream(State& state, size_t failed_node, const std::string& reason);
  void NodeSettled(State& state, size_t node, const std::string& status, const std::string& error);
  void RunSettled(State& state, size_t run);
  void Refill(State& state);
  void Extend(State& state, const RunBatch& batch);
  std::vector<ArtifactPtr> GatherInputs(State& state, size_t node);

  const Dag& dag_;
  ArtifactCache& cache_;
  StageExecutor& executor_;
  StoreWriter& writer_;
  Clock& clock_;
  ScheduleOptions options_;
  const std::atomic<bool>* cancel_flag_;
  ProgressReporter* progress_;
  RunSource* source_;
  MetricObserver* observer_;
};

}  // namespace pipeline
