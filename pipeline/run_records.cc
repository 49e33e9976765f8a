#include "pipeline/run_records.h"

#include <map>
#include <string>

#include "pipeline/stage.h"

namespace pipeline {

// Whether each node's output is in the cache and recorded done (never with --force).
// (From node `first` on; the result's index 0 is node `first`.)
std::vector<bool> FindCached(Store& store, const ArtifactCache& cache, const Dag& dag, bool force,
                             size_t first) {
  std::vector<bool> cached(dag.nodes().size() - first, false);
  if (force) return cached;
  for (size_t n = first; n < dag.nodes().size(); ++n) {
    auto row = store.FindStage(dag.nodes()[n].key);
    cached[n - first] = row && row->status == status::kDone && cache.Has(dag.nodes()[n].key);
  }
  return cached;
}

// Records run `r` of the DAG as a new run of the study (numbered next) with its run_stages.
int64_t RecordRun(Store& store, int64_t study_id, const Study& study, const Dag& dag, size_t r,
                  int64_t number) {
  const DagRun& run = dag.runs()[r];
  RunRow row;
  row.study_id = study_id;
  row.number = number;
  row.identity = run.identity;
  row.variant = run.spec.variant;
  row.seed = run.spec.seed;
  row.status = status::kPending;
  row.params = run.spec.flat_params;
  row.config = run.config;
  const int64_t id = store.InsertRun(row);
  for (size_t s = 0; s < run.nodes.size(); ++s) {
    store.InsertRunStage(id, study.stages[s].name, dag.nodes()[run.nodes[s]].key);
  }
  return id;
}

// Ensures a `stages` row for every node from `first` on (existing rows are left alone).
void RecordStages(Store& store, const Dag& dag, size_t first) {
  for (size_t n = first; n < dag.nodes().size(); ++n) {
    const DagNode& node = dag.nodes()[n];
    StageRow stage;
    stage.key = node.key;
    stage.name = node.stage_name;
    stage.type = node.type->name;
    stage.code_version = node.type->code_version;
    stage.params = node.params;
    for (size_t input : node.inputs) stage.inputs.push_back(dag.nodes()[input].key);
    stage.seed = node.seed;
    stage.status = status::kPending;
    store.EnsureStage(stage);
  }
}

// What a run came to, for the planner.
RunOutcome LoadOutcome(Store& store, int64_t id, bool with_metrics) {
  RunOutcome outcome;
  outcome.run_id = id;
  if (auto row = store.LoadRun(id)) outcome.status = row->status;
  if (with_metrics) {
    for (const auto& [stage, key] : store.LoadRunStages(id)) {
      std::map<std::string, int64_t> last_step;
      for (const MetricRow& metric : store.LoadMetrics(key)) {
        auto [it, fresh] = last_step.emplace(metric.name, metric.step);
        if (!fresh && metric.step < it->second) continue;
        it->second = metric.step;
        outcome.final_metrics[stage + "." + metric.name] = metric.value;
      }
    }
  }
  return outcome;
}

}  // namespace pipeline
