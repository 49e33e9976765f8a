#pragma once
// Merging a cluster study's task results into its database (`pipeline collect`, also the final
// job of `pipeline submit`): for every task whose status file says done, its metrics (from its
// shard) and files become the stage's rows, exactly as `pipeline run` would have written them; a
// failed task fails its stage and skips the stages after it; runs whose stages have all settled
// finish; tasks not settled yet wait (see CollectOptions::final). Idempotent: a stage already
// merged (done with the same output hash) is left alone, so collecting twice, or after a partial
// collect, changes nothing. One transaction per batch of tasks; the database should live on the
// submitting host's local disk.

#include <cstddef>
#include <string>

#include "pipeline/cluster/cluster_plan.h"

namespace pipeline {

class Clock;
class Store;

struct CollectSummary {
  size_t merged = 0;          // tasks merged now
  size_t already = 0;         // tasks merged before
  size_t failed = 0;          // tasks that failed (now or before)
  size_t waiting = 0;         // tasks with no status yet (queued, running, or cut off)
  size_t runs_done = 0;
  size_t runs_failed = 0;
  size_t runs_waiting = 0;
};

struct CollectOptions {
  // Every job of the submission has ended (the collect job that runs after them all): a task
  // still without a done / failed status will not get one, so it fails, with the reason Slurm
  // gave in its log when there is one (time limit, preemption, cancel), and its runs fail.
  bool final = false;
};

CollectSummary CollectCluster(Store& store, const ClusterPlan& plan, const std::string& cluster_dir,
                              Clock& clock, const CollectOptions& options = {});

}  // namespace pipeline
