#pragma once
// ClusterPlan: what a study leaves for a cluster to compute, written by `pipeline submit` as
// <results>/cluster/<study>/plan.json and read by every task (`pipeline worker`) and by the
// merge (`pipeline collect`). The stages that are not cached, by DAG level (a stage's level is
// one more than its highest uncached input's, so one level's stages can all run at once once the
// level before has finished: one job array per level), each with everything its execution needs
// (type, parameters, input keys, seed, threads), and the study's runs with their stage keys.
//
// Beside the plan, per task (key): shards/<key>.db (its metrics and files, SQLite in rollback
// journal mode, written by that task alone) and status/<key>.json (done / failed / interrupted,
// the reason, times, output hash): the source of truth for the merge, since `sacct` may be
// disabled and `squeue` forgets finished jobs.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/params.h"

namespace pipeline {

struct PreparedStudy;

struct ClusterTask {
  std::string key;
  std::string stage_name;
  std::string type;
  Json params;
  std::vector<std::string> inputs;  // input stage keys, in order
  uint64_t seed = 0;
  int level = 0;
};

struct ClusterRun {
  int64_t id = 0;
  std::vector<std::string> keys;  // every stage of the run (cached ones too)
};

struct ClusterPlan {
  std::string study;
  std::string cache_dir;
  int threads = 1;  // per task: the cores Slurm gives it (--cpus-per-task)
  std::vector<std::vector<std::string>> levels;  // task keys, level by level
  std::map<std::string, ClusterTask> tasks;
  std::vector<ClusterRun> runs;

  Json ToJson() const;
  static ClusterPlan FromJson(const Json& json, const std::string& source);
};

// <folder of cache_dir>/cluster/<study>: the plan, shards and status files.
std::string ClusterDir(const std::string& cache_dir, const std::string& study);
std::string ShardPath(const std::string& cluster_dir, const std::string& key);
std::string StatusPath(const std::string& cluster_dir, const std::string& key);

// The tasks of a prepared study: its uncached stages by level.
ClusterPlan MakeClusterPlan(const PreparedStudy& prepared, const std::string& cache_dir,
                            int threads);

// Written atomically (temporary file, then rename). ReadClusterPlan throws StoreError naming
// the file when it is missing or malformed.
void WriteClusterPlan(const ClusterPlan& plan, const std::string& path);
ClusterPlan ReadClusterPlan(const std::string& path);

}  // namespace pipeline
