#pragma once
// Executes one stage instance: builds its StageContext, runs the stage body inside a TBB arena
// of exactly its thread share (and tells OpenMP, which oneDNN uses, the same number), and
// commits its output to the artifact cache. This is error boundary 1: whatever the stage throws
// becomes a failed (or interrupted) outcome with a message; nothing escapes into TBB.

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
};

struct StageOutcome {
  std::string status;  // status::kDone, kFailed or kInterrupted
  std::string error;
  ArtifactPtr output;  // set when done
  CommitResult commit;
  double seconds = 0;
};

StageOutcome ExecuteStage(const StageExecution& execution, ArtifactCache& cache, Clock& clock,
                          MetricSink& metrics, const std::atomic<bool>* cancel_flag);

}  // namespace pipeline
