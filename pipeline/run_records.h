#pragma once
// The database side of running a plan, shared by the first batch of `pipeline run` and the runs
// a planner adds while the scheduler works (PlannerSource): recording runs and stages, finding
// what is cached, and reading how a run ended.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "pipeline/artifact_cache.h"
#include "pipeline/dag.h"
#include "pipeline/planner.h"
#include "pipeline/store.h"
#include "pipeline/study.h"

namespace pipeline {

// Whether each node's output is in the cache and recorded done (never with `force`), from node
// `first` on: the result's index 0 is node `first`.
std::vector<bool> FindCached(Store& store, const ArtifactCache& cache, const Dag& dag, bool force,
                             size_t first = 0);

// Records run `r` of the DAG as run `number` of the study, with its run_stages; returns its id.
int64_t RecordRun(Store& store, int64_t study_id, const Study& study, const Dag& dag, size_t r,
                  int64_t number);

// Ensures a `stages` row for every node from `first` on (existing rows are left alone).
void RecordStages(Store& store, const Dag& dag, size_t first);

// How run `id` ended, with the last value of each of its metrics when `with_metrics`.
RunOutcome LoadOutcome(Store& store, int64_t id, bool with_metrics);

}  // namespace pipeline
