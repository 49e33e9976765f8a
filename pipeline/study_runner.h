#pragma once
// The `run` command's engine: plan a study (parse, apply overrides, expand, build the DAG), sync
// it with the database (same study name → same study; new grid points become new runs with
// numbers continuing; nothing is deleted), find what is cached, and execute the rest.

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/dag.h"
#include "pipeline/errors.h"
#include "pipeline/executor.h"
#include "pipeline/grid.h"
#include "pipeline/study.h"

namespace pipeline {

class Clock;
class Planner;
class StageRegistry;

struct RunOptions {
  std::string db_path = "results/pipeline.db";
  std::string cache_dir;  // default: "<folder of db_path>/cache"
  int jobs = 0;           // stages at once; 0: min(cores, widest level of the DAG)
  int cores = 0;          // cores to use in all; 0: all of the machine's
  bool force = false;     // recompute every stage of the study, ignoring the cache
  bool dry_run = false;   // print the plan and what sharing and the cache save; run nothing
  bool tty = false;       // live progress line instead of plain lines
  std::vector<std::string> overrides;  // "stage.param=value"
  // Set to true once the run has writes to finish (the database is open for writing); until
  // then an interrupt may end the process at once. Optional.
  std::atomic<bool>* graceful_stop = nullptr;
  // The most runs the study's grid may expand to (all variants together); more is a
  // ConfigError before any run is built. Default kDefaultMaxRuns (100,000).
  size_t max_runs = kDefaultMaxRuns;
  // Makes the executor that runs each stage (executor.h); unset: InProcessExecutor.
  std::function<std::unique_ptr<StageExecutor>(ArtifactCache&, Clock&,
                                               const std::atomic<bool>*)>
      make_executor;
};

struct StudyPlan {
  Study study;
  Grid grid;
  Dag dag;
};

// Loads, expands and builds the DAG. A stage reference parameter (ParamType::kStageRef, e.g.
// train's init_from) written as "run:<id>/<stage>" (a checkpoint from another run, e.g. of
// another study) becomes that stage's key ("stage:<key>"), looked up in the database at
// `db_path`; ConfigError if the run or its stage is not there or the stage's output is not in
// `cache_dir`. The plan, and so every stage key, is the same for any cache folder. A grid of
// more than `max_runs` runs is a ConfigError (ExpandGrid).
StudyPlan PlanStudy(const std::string& study_path, const std::vector<std::string>& overrides,
                    const StageRegistry& registry, const std::string& db_path = "",
                    const std::string& cache_dir = "", size_t max_runs = kDefaultMaxRuns);

// Replaces each stage reference written "run:<id>/<stage>" in the grid's runs by that stage's key
// (see PlanStudy); ConfigError as there.
void ResolveRunReferences(const Study& study, Grid& grid, const std::string& db_path,
                          const std::string& cache_dir);

// The cache folder used for a database when none is given.
std::string DefaultCacheDir(const std::string& db_path);

// A study recorded in its database and ready to execute elsewhere (`pipeline submit`): the plan,
// each DAG run's database id, which nodes are cached (runs made only of cached stages are marked
// done), exactly as `run` records them before it executes anything. Holds the database lock
// only while it writes. ConfigError for a study with a random or tpe search (those choose
// their runs while they run: `pipeline run`).
struct PreparedStudy {
  StudyPlan plan;
  std::vector<int64_t> run_ids;
  std::vector<bool> cached;
  int64_t study_id = 0;
};
PreparedStudy PrepareStudy(const std::string& study_path, const RunOptions& options,
                           const StageRegistry& registry, Clock& clock, FILE* out);

// Runs (or, with dry_run, describes) the study; prints progress and a summary to `out`. The
// runs come from a GridPlanner over the expanded grid.
ExitCode RunStudy(const std::string& study_path, const RunOptions& options,
                  const StageRegistry& registry, Clock& clock,
                  const std::atomic<bool>* cancel_flag, FILE* out);

// Runs the batches `planner` asks for until it has no more (planner.h): each batch is synced
// with the database, its cached stages are reused and the rest scheduled, then the planner is
// told how its runs ended. `grid` gives the stage types and swept paths of the study's runs.
// Stops after Ctrl-C.
ExitCode RunWithPlanner(const Study& study, const Grid& grid, Planner& planner,
                        const RunOptions& options, Clock& clock,
                        const std::atomic<bool>* cancel_flag, FILE* out);

}  // namespace pipeline
