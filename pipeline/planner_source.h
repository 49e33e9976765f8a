#pragma once
// PlannerSource: the scheduler's RunSource over a planner. Each time a run settles, the
// planner is told and asked for as many runs as there are free slots; new runs join the DAG
// and the database (run and stage rows, cached stages found) through the writer.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/artifact_cache.h"
#include "pipeline/dag.h"
#include "pipeline/grid.h"
#include "pipeline/planner.h"
#include "pipeline/scheduler.h"
#include "pipeline/store_writer.h"
#include "pipeline/study.h"

namespace pipeline {

class PlannerSource : public RunSource {
 public:
  struct Setup {
    const Study* study = nullptr;
    const Grid* grid = nullptr;  // stage types and swept paths
    Dag* dag = nullptr;
    Planner* planner = nullptr;
    StoreWriter* writer = nullptr;
    const ArtifactCache* cache = nullptr;
    std::string db_path;
    std::string cache_dir;
    int64_t study_id = 0;
    int64_t environment_id = 0;
    size_t slots = 1;
    bool force = false;
  };

  // `asked`: what Ask returned for the DAG's runs so far, `placed` the DAG run carrying each,
  // `run_ids` the database id of every DAG run.
  PlannerSource(Setup setup, const std::vector<RunSpec>& asked, const std::vector<size_t>& placed,
                const std::vector<int64_t>& run_ids);

  RunBatch More(size_t unsettled_runs) override;
  void Settled(size_t run, const std::string& status) override;

 private:
  void TellOne(const RunSpec& spec, size_t run);

  Setup s_;
  std::vector<int64_t> run_ids_;                     // per DAG run
  std::map<size_t, std::vector<RunSpec>> waiting_;   // DAG run → asked specs not yet told
  std::map<size_t, std::string> settled_;            // DAG run → status
};

}  // namespace pipeline
