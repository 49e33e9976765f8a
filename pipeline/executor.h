#pragma once
// Executing one stage instance. The scheduler decides what runs when; a StageExecutor decides
// where and how (ninja's CommandRunner): the in-process executor below, later one that hands a
// stage to another process or machine. ExecuteStage is the in-process path: it builds the
// StageContext (loading the outputs that stage-reference parameters name), runs the stage body
// inside a TBB arena of exactly its thread share (and tells OpenMP, which oneDNN uses, the same
// number), and commits its output to the artifact cache. This is error boundary 1: whatever
// the stage throws becomes a failed (or interrupted) outcome with a message; nothing escapes
// into TBB.

#include <atomic>
#include <string>
#include <vector>

#include "pipeline/artifact_cache.h"
#include "pipeline/stage.h"

namespace pipeline {

class Clock;

struct StageExecution {
  const StageType* type = nullptr;
  std::string key;
  std::string stage_name;
  Json params;
  std::vector<ArtifactPtr> inputs;
  uint64_t seed = 0;
  int threads = 1;
  // Offer the stage a resume folder (StageContext::resume_dir) kept across attempts; the
  // scheduler does, `reproduce` does not (it re-executes from scratch).
  bool resumable = false;
  // Where the outputs that stage-reference parameters name are read (a finished stage of
  // another run); null: the cache the output is committed to. `reproduce` commits to a
  // scratch cache but reads references from the results cache.
  const ArtifactCache* reference_cache = nullptr;
};

struct StageOutcome {
  std::string status;  // status::kDone, kFailed or kInterrupted
  std::string error;
  bool data_error = false;  // failed on a missing or malformed data file (DataError)
  ArtifactPtr output;  // set when done
  CommitResult commit;
  double seconds = 0;
};

StageOutcome ExecuteStage(const StageExecution& execution, ArtifactCache& cache, Clock& clock,
                          MetricSink& metrics, const std::atomic<bool>* cancel_flag);

// Runs stage executions to outcomes. Execute is called from up to `jobs` scheduler threads at
// once and must not throw: every failure is an outcome.
class StageExecutor {
 public:
  virtual ~StageExecutor() = default;
  virtual StageOutcome Execute(const StageExecution& execution, MetricSink& metrics) = 0;
};

// The stage body in this process, on the caller's thread (ExecuteStage).
class InProcessExecutor : public StageExecutor {
 public:
  InProcessExecutor(ArtifactCache& cache, Clock& clock, const std::atomic<bool>* cancel_flag)
      : cache_(cache), clock_(clock), cancel_flag_(cancel_flag) {}
  StageOutcome Execute(const StageExecution& execution, MetricSink& metrics) override {
    return ExecuteStage(execution, cache_, clock_, metrics, cancel_flag_);
  }

 private:
  ArtifactCache& cache_;
  Clock& clock_;
  const std::atomic<bool>* cancel_flag_;
};

}  // namespace pipeline
