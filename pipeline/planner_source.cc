#include "pipeline/planner_source.h"

#include "pipeline/run_records.h"
#include "pipeline/study_runner.h"

namespace pipeline {

PlannerSource::PlannerSource(Setup setup, const std::vector<RunSpec>& asked,
                           const std::vector<size_t>& placed, const std::vector<int64_t>& run_ids)
    : s_(std::move(setup)), run_ids_(run_ids) {
  for (size_t i = 0; i < asked.size(); ++i) waiting_[placed[i]].push_back(asked[i]);
  for (size_t i = 0; i < asked.size(); ++i) {
    s_.planner->Placed(asked[i], s_.dag->runs()[placed[i]], run_ids_[placed[i]], *s_.writer);
  }
}

RunBatch PlannerSource::More(size_t unsettled_runs) {
  RunBatch batch;
  while (batch.run_ids.empty() && unsettled_runs < s_.slots) {
    std::vector<RunSpec> specs = s_.planner->Ask(s_.slots - unsettled_runs);
    if (specs.empty()) break;
    Grid grid;
    grid.runs = std::move(specs);
    grid.types = s_.grid->types;
    ResolveRunReferences(*s_.study, grid, s_.db_path, s_.cache_dir);
    Dag& dag = *s_.dag;
    const size_t old_nodes = dag.nodes().size();
    const size_t old_runs = dag.runs().size();
    std::vector<size_t> placed;
    for (const RunSpec& spec : grid.runs) placed.push_back(dag.Add(*s_.study, grid.types, spec));
    s_.writer->Call([&](Store& store) {
      // Inside the writer's transaction.
      int64_t number = store.NextRunNumber(s_.study_id);
      for (size_t r = old_runs; r < dag.runs().size(); ++r) {
        batch.run_ids.push_back(RecordRun(store, s_.study_id, *s_.study, dag, r, number++));
        store.SetRunEnvironment(batch.run_ids.back(), s_.environment_id);
      }
      RecordStages(store, dag, old_nodes);
      batch.cached_nodes = FindCached(store, *s_.cache, dag, s_.force, old_nodes);
    });
    run_ids_.insert(run_ids_.end(), batch.run_ids.begin(), batch.run_ids.end());
    for (size_t i = 0; i < grid.runs.size(); ++i) {
      s_.planner->Placed(grid.runs[i], dag.runs()[placed[i]], run_ids_[placed[i]], *s_.writer);
      auto done = settled_.find(placed[i]);
      if (done == settled_.end()) {
        waiting_[placed[i]].push_back(grid.runs[i]);
      } else {
        // The same run as an earlier one that has already ended: its outcome is known.
        TellOne(grid.runs[i], placed[i]);
      }
    }
  }
  return batch;
}

void PlannerSource::Settled(size_t run, const std::string& status) {
  settled_[run] = status;
  auto it = waiting_.find(run);
  if (it == waiting_.end()) return;
  const std::vector<RunSpec> specs = std::move(it->second);
  waiting_.erase(it);
  for (const RunSpec& spec : specs) TellOne(spec, run);
}

void PlannerSource::TellOne(const RunSpec& spec, size_t run) {
  RunOutcome outcome;
  s_.writer->Call([&](Store& store) {
    outcome = LoadOutcome(store, run_ids_[run], s_.planner->wants_metrics());
  });
  s_.planner->Tell(spec, outcome, *s_.writer);
}

}  // namespace pipeline
