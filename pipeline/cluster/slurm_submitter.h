#pragma once
// SlurmSubmitter: a study's cluster plan as Slurm job arrays, one per DAG level (split into
// several when the level has more tasks than the cluster's MaxArraySize), each depending on the
// arrays of the level before, and a last job that merges the results (`pipeline collect`).
// `submit` returns once everything is queued; nothing needs a terminal kept open.
//
// Levels depend on each other with afterany, not afterok: a failed task must not stop the
// independent runs of the next level. A task whose input failed finds that out from the input's
// status file (the merge skips it and fails its runs with the reason). Tasks are submitted with
// --requeue, so one preempted (SIGTERM, then the kill) runs again; it stops cleanly with exit
// 130 and its half-done work does not count.

#include <functional>
#include <string>
#include <vector>

#include "pipeline/cluster/cluster_plan.h"

namespace pipeline {

struct SlurmOptions {
  std::string partition;
  std::string time;       // --time, e.g. 01:00:00
  int cpus_per_task = 1;
  std::string mem;        // --mem, e.g. 4G
  std::string account;
  std::vector<std::string> extra;  // further sbatch arguments, as given
};

// Runs a command line, returns (exit code, standard output). The seam for tests.
using CommandRunner = std::function<std::pair<int, std::string>(const std::vector<std::string>&)>;
CommandRunner SystemCommandRunner();

struct SubmittedJob {
  std::string id;
  int level = -1;   // -1: the collect job
  size_t offset = 0;
  size_t tasks = 0;
};

// MaxArraySize from `scontrol show config` (Slurm's default 1001 when it says nothing).
size_t SlurmMaxArraySize(const CommandRunner& run);

// Submits `plan` (at `plan_path`) and returns the jobs, also written to <cluster dir>/jobs.json.
// `worker` is the command that starts this binary ({"/abs/pipeline"}); `collect_args` what the
// collect job passes after `collect STUDY`. Throws Error with sbatch's message on a refusal.
std::vector<SubmittedJob> SubmitToSlurm(const ClusterPlan& plan, const std::string& plan_path,
                                        const std::string& binary,
                                        const std::vector<std::string>& collect_args,
                                        const SlurmOptions& options, const CommandRunner& run);

std::vector<SubmittedJob> ReadSubmittedJobs(const std::string& cluster_dir);

}  // namespace pipeline
