// The search tables: `trials` (the sampler's history) and `trial_rungs` (the pruner's
// decisions). Written by the search planner and pruner through the StoreWriter while a study
// runs, read when a search resumes and by the report.

#include "pipeline/store.h"
#include "pipeline/store_statement.h"

namespace pipeline {
namespace {

constexpr const char* kLoadTrials =
    "SELECT study_id, number, coalesce(run_id, 0), params, state, coalesce(value, 0),"
    " coalesce(step, 0), coalesce(intermediate, 0) FROM trials WHERE study_id = ?1"
    " ORDER BY number";
constexpr const char* kSaveTrial =
    "INSERT INTO trials (study_id, number, run_id, params, state, value, step, intermediate)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (study_id, number) DO UPDATE SET"
    " run_id = excluded.run_id, params = excluded.params, state = excluded.state,"
    " value = excluded.value, step = excluded.step, intermediate = excluded.intermediate";
constexpr const char* kLoadRungs =
    "SELECT trial, rung, step, coalesce(value, 0), decision FROM trial_rungs"
    " WHERE study_id = ?1 ORDER BY trial, step";
constexpr const char* kInsertRung =
    "INSERT INTO trial_rungs (study_id, trial, rung, step, value, decision)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (study_id, trial, step) DO NOTHING";

}  // namespace

std::vector<TrialRow> Store::LoadTrials(int64_t study_id) {
  std::vector<TrialRow> trials;
  Prepared(kLoadTrials).BindInt(1, study_id).ForEachRow([&](const Statement& row) {
    TrialRow trial;
    trial.study_id = row.Int(0);
    trial.number = row.Int(1);
    trial.run_id = row.Int(2);
    trial.params = Json::parse(row.Text(3));
    trial.state = row.Text(4);
    trial.value = row.Double(5);
    trial.step = row.Int(6);
    trial.intermediate = row.Double(7);
    trials.push_back(std::move(trial));
  });
  return trials;
}

void Store::SaveTrial(const TrialRow& trial) {
  const std::string params = trial.params.dump();
  Statement& statement = Prepared(kSaveTrial);
  statement.BindInt(1, trial.study_id).BindInt(2, trial.number).BindText(4, params)
      .BindText(5, trial.state);
  trial.run_id > 0 ? statement.BindInt(3, trial.run_id) : statement.BindNull(3);
  // Only what the state defines is stored; the rest stays NULL.
  trial.state == "done" ? statement.BindDouble(6, trial.value) : statement.BindNull(6);
  if (trial.state == "pruned") {
    statement.BindInt(7, trial.step).BindDouble(8, trial.intermediate);
  } else {
    statement.BindNull(7).BindNull(8);
  }
  statement.Execute();
}

std::vector<RungRow> Store::LoadRungs(int64_t study_id) {
  std::vector<RungRow> rungs;
  Prepared(kLoadRungs).BindInt(1, study_id).ForEachRow([&](const Statement& row) {
    rungs.push_back({row.Int(0), row.Int(1), row.Int(2), row.Double(3), row.Text(4)});
  });
  return rungs;
}

void Store::InsertRung(int64_t study_id, const RungRow& rung) {
  Prepared(kInsertRung)
      .BindInt(1, study_id)
      .BindInt(2, rung.trial)
      .BindInt(3, rung.rung)
      .BindInt(4, rung.step)
      .BindDouble(5, rung.value)
      .BindText(6, rung.decision)
      .Execute();
}

}  // namespace pipeline
