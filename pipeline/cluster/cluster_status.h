#pragma once
// Where a submitted study's tasks stand: each task's state from its status file (done, failed,
// skipped, interrupted: the source of truth once a task has ended) or, while it has none, from
// Slurm's queue (queued, running), else "not running" (killed, out of time, cancelled, or its
// array never started). `pipeline status STUDY` prints these counts per stage; the final merge
// (`pipeline collect --final`) uses the reason Slurm wrote into an unfinished task's log.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/cluster/cluster_plan.h"
#include "pipeline/cluster/slurm_submitter.h"

namespace pipeline {

// The array task that runs plan task `key`: job id and index in that array.
struct TaskLocation {
  std::string job_id;
  size_t index = 0;
  std::string Name() const { return job_id + "_" + std::to_string(index); }  // squeue's %i
};
std::optional<TaskLocation> LocateTask(const ClusterPlan& plan,
                                       const std::vector<SubmittedJob>& jobs,
                                       const std::string& key);

// Slurm's standard output of the task: <cluster dir>/logs/<job>_<index>.out.
std::string TaskLogPath(const std::string& cluster_dir, const TaskLocation& where);

// The line slurmstepd writes into a task's log when it ends the task ("*** JOB 12 ON node
// CANCELLED AT ... DUE TO TIME LIMIT ***"), without the stars; "" when there is none.
std::string SlurmEndLine(const std::string& log_path);

// The queue's view of the study's jobs: "<job>_<index>" → state (PENDING, RUNNING, ...), from
// `squeue -h -r -j <ids> -o '%i %T'`. Ended jobs are absent; so is everything when Slurm does
// not know the ids any more. Throws Error with squeue's message when squeue itself fails.
std::map<std::string, std::string> SlurmQueue(const std::vector<SubmittedJob>& jobs,
                                              const CommandRunner& run);

struct StageProgress {
  std::string stage;  // stage name in the study
  size_t tasks = 0, done = 0, failed = 0, skipped = 0, interrupted = 0, running = 0, queued = 0,
         not_running = 0;
};

struct ClusterProgress {
  std::vector<StageProgress> stages;  // in the order the plan's levels first name them
  std::vector<std::string> problems;  // one line per failed, skipped or not-running task
  size_t in_queue = 0;                // the study's array tasks Slurm still holds
};

ClusterProgress ReadClusterProgress(const ClusterPlan& plan, const std::string& cluster_dir,
                                    const std::vector<SubmittedJob>& jobs,
                                    const std::map<std::string, std::string>& queue);

}  // namespace pipeline
