#pragma once
// One task of a cluster plan: one stage instance, run by `pipeline worker` inside a Slurm array
// task (or by hand). Its inputs come from the shared cache, its output goes there by atomic
// rename, its metrics go to its own shard SQLite (never to the study's database), and its
// outcome to its status file, written last (temporary file, then rename): a task without a
// status file did not finish, whatever else it left.

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/artifact_cache.h"
#include "pipeline/cluster/cluster_plan.h"

namespace pipeline {

class Clock;
class StageRegistry;

struct TaskStatus {
  std::string key;
  std::string status;  // status::kDone, kFailed, kSkipped (an input failed) or kInterrupted
  std::string error;
  int threads = 1;
  double started_at = 0;
  double finished_at = 0;
  std::string output_hash;
  std::vector<CommittedFile> files;

  Json ToJson() const;
  static TaskStatus FromJson(const Json& json);
};

// nullopt when the task has not written its status (not run, still running, or killed).
std::optional<TaskStatus> ReadTaskStatus(const std::string& cluster_dir, const std::string& key);

// Runs task `key` of `plan` with `threads` threads (status, metrics and output as above). A task
// already done (status done, output in the cache) is not run again; one whose input is not in
// the cache (failed, skipped, or not finished) is skipped, with that reason. After `cancel`
// (Slurm's SIGTERM before a preemption or at the time limit) the stage stops at its next check
// and the status says interrupted; nothing it had half-written counts.
TaskStatus RunClusterTask(const ClusterPlan& plan, const std::string& cluster_dir,
                          const std::string& key, int threads, const StageRegistry& registry,
                          Clock& clock, const std::atomic<bool>* cancel);

}  // namespace pipeline
