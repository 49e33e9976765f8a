#include "pipeline/search/search_planner.h"

#include <cmath>
#include <set>

#include "pipeline/dag.h"
#include "pipeline/errors.h"
#include "pipeline/rng.h"
#include "pipeline/stage_registry.h"
#include "pipeline/store.h"
#include "pipeline/store_writer.h"

namespace pipeline {
namespace {

// A value of each distribution that the parameter must accept: its lower or upper bound.
std::vector<Json> Bounds(const SearchSpace& space, bool upper) {
  std::vector<Json> values;
  for (const SearchParam& p : space) {
    const Distribution& d = p.distribution;
    if (d.kind == DistributionKind::kChoice) {
      values.push_back(upper ? d.choices.back() : d.choices.front());
    } else if (d.integer()) {
      values.push_back(static_cast<int64_t>(upper ? d.high : d.low));
    } else {
      values.push_back(upper ? d.high : d.low);
    }
  }
  return values;
}

bool Better(double a, double b, Direction direction) {
  return direction == Direction::kMaximize ? a > b : a < b;
}

}  // namespace

SearchPlanner::SearchPlanner(const Study& study, SearchConfig config, const StageRegistry& registry,
                             std::vector<RunSpec> grid_runs, FILE* out)
    : study_(study),
      config_(std::move(config)),
      registry_(registry),
      grid_runs_(std::move(grid_runs)),
      out_(out) {
  if (config_.strategy == "grid") {
    if (grid_runs_.empty()) throw ConfigError("the study's grid has no runs", study_.file);
    example_ = grid_runs_.front();
    grid_ = ExpandGrid(study_, registry_);
    grid_.runs.clear();
  } else {
    // Both ends of every distribution must be acceptable values: checked before anything runs.
    Build(0, Bounds(config_.space, true));
    example_ = Build(0, Bounds(config_.space, false), &grid_);
    grid_.swept.clear();
    std::set<std::string> top;  // "model.optimizer" for "model.optimizer.lr"
    for (const SearchParam& p : config_.space) {
      const size_t dot = p.path.find('.');
      const size_t end = p.path.find_first_of(".[", dot + 1);
      if (top.insert(p.path.substr(0, end)).second) grid_.swept.push_back(p.path.substr(0, end));
    }
    sampler_ = config_.strategy == "tpe" ? MakeTpeSampler(config_.direction, config_.tpe)
                                         : MakeRandomSampler();
  }
  seed_ = example_.seed;
  pruner_ = MakePruner(config_.pruner, config_.direction);
}

RunSpec SearchPlanner::Build(int64_t number, const std::vector<Json>& values,
                             Grid* types) const {
  Grid grid = ExpandGrid(WithValues(study_, config_, values), registry_);
  if (grid.runs.size() != 1) {
    std::string swept;
    for (const std::string& path : grid.swept) swept += (swept.empty() ? "" : ", ") + path;
    throw ConfigError("a " + config_.strategy + " search draws every varying value; the study "
                      "also sweeps " + swept + " (a list or sweep:): write {choice: [...]} "
                      "instead", study_.file, study_.search_mark.line, study_.search_mark.column,
                      "search.strategy");
  }
  RunSpec spec = std::move(grid.runs.front());
  spec.trial = number;
  if (types != nullptr) {
    grid.runs.clear();
    *types = std::move(grid);
  }
  return spec;
}

int64_t SearchPlanner::budget() const {
  return config_.strategy == "grid" ? static_cast<int64_t>(grid_runs_.size()) : config_.trials;
}

Json SearchPlanner::TrialParams(const TrialRecord& trial) const {
  Json params = Json::object();
  if (config_.strategy == "grid") {
    const RunSpec& run = grid_runs_.at(static_cast<size_t>(trial.number - 1));
    for (auto it = run.flat_params.begin(); it != run.flat_params.end(); ++it) {
      params[it.key()] = it.value();
    }
    return params;
  }
  for (size_t i = 0; i < config_.space.size(); ++i) params[config_.space[i].path] = trial.values[i];
  return params;
}

void SearchPlanner::Resume(Store& store, const std::string& study_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto study = store.FindStudy(study_name);
  if (!study) return;
  study_id_ = study->id;
  for (const TrialRow& row : store.LoadTrials(study->id)) {
    TrialRecord trial;
    trial.number = row.number;
    trial.state = row.state;
    trial.value = row.value;
    trial.step = row.step;
    trial.intermediate = row.intermediate;
    if (config_.strategy != "grid") {
      for (const SearchParam& p : config_.space) {
        if (!row.params.contains(p.path)) {
          throw ConfigError("study '" + study_name + "' has trials recorded over other "
                            "parameters (trial " + std::to_string(row.number) + " has no '" +
                            p.path + "'); run this search under another name (study=...)",
                            study_.file, p.mark.line, p.mark.column, p.path);
        }
        trial.values.push_back(row.params.at(p.path));
      }
    }
    if (trial.number != static_cast<int64_t>(trials_.size()) + 1) {
      throw StoreError("the trials of study '" + study_name + "' are not numbered 1.." +
                       std::to_string(trials_.size() + 1) + " (trial " +
                       std::to_string(trial.number) + " follows)");
    }
    if (trial.state == trial_state::kRunning) to_resume_.push_back(trial.number);
    run_of_trial_[trial.number] = row.run_id;
    trials_.push_back(std::move(trial));
    if (trials_.back().state == trial_state::kDone) {
      if (pruner_) pruner_->Finished(trials_.back().number);
      if (best_trial_ == 0 ||
          Better(trials_.back().value, trials_[best_trial_ - 1].value, config_.direction)) {
        best_trial_ = trials_.back().number;
      }
    }
  }
  if (pruner_) {
    for (const RungRow& rung : store.LoadRungs(study->id)) {
      PruneDecision d;
      d.rung = rung.rung;
      d.step = rung.step;
      d.value = rung.value;
      d.prune = rung.decision == "prune";
      if (d.prune) {
        d.reason = "pruned at epoch " + std::to_string(rung.step) + " (" + config_.pruner.type +
                   ", decided in an earlier session): " + config_.pruner.metric + " " +
                   FormatMetric(rung.value);
      }
      pruner_->Restore(rung.trial, d);
      last_decision_[rung.trial] = d;
    }
  }
}

std::vector<RunSpec> SearchPlanner::Ask(size_t free_slots) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<RunSpec> runs;
  while (runs.size() < free_slots) {
    if (!to_resume_.empty()) {
      const int64_t number = to_resume_.front();
      to_resume_.erase(to_resume_.begin());
      const TrialRecord& trial = trials_[static_cast<size_t>(number - 1)];
      runs.push_back(config_.strategy == "grid" ? grid_runs_[static_cast<size_t>(number - 1)]
                                                : Build(number, trial.values));
      runs.back().trial = number;
      continue;
    }
    if (static_cast<int64_t>(trials_.size()) >= budget()) break;
    TrialRecord trial;
    trial.number = static_cast<int64_t>(trials_.size()) + 1;
    trial.state = trial_state::kRunning;
    if (config_.strategy == "grid") {
      runs.push_back(grid_runs_[static_cast<size_t>(trial.number - 1)]);
      runs.back().trial = trial.number;
    } else {
      Rng rng(DeriveStageSeed(seed_, "search-trial-" + std::to_string(trial.number)));
      trial.values = sampler_->Sample(config_.space, trials_, rng);
      runs.push_back(Build(trial.number, trial.values));
    }
    trials_.push_back(std::move(trial));
  }
  return runs;
}

void SearchPlanner::Save(const TrialRecord& trial, StoreWriter& writer) {
  TrialRow row;
  row.number = trial.number;
  row.run_id = run_of_trial_.count(trial.number) ? run_of_trial_.at(trial.number) : 0;
  row.params = TrialParams(trial);
  row.state = trial.state;
  row.value = trial.value;
  row.step = trial.step;
  row.intermediate = trial.intermediate;
  if (study_id_ == 0) {
    const std::string name = study_.name;
    writer.Call([&](Store& store) { study_id_ = store.FindStudy(name)->id; });
  }
  row.study_id = study_id_;
  writer.Post([row](Store& store) { store.SaveTrial(row); });
}

void SearchPlanner::Placed(const RunSpec& spec, const DagRun& run, int64_t run_id,
                           StoreWriter& writer) {
  std::lock_guard<std::mutex> lock(mutex_);
  writer_ = &writer;
  if (spec.trial <= 0) return;
  run_of_trial_[spec.trial] = run_id;
  if (pruner_ && run.config.contains(config_.pruner.stage)) {
    trial_of_key_.emplace(run.config[config_.pruner.stage]["key"].get<std::string>(), spec.trial);
  }
  Save(trials_[static_cast<size_t>(spec.trial - 1)], writer);
}

void SearchPlanner::Tell(const RunSpec& spec, const RunOutcome& outcome, StoreWriter& writer) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (spec.trial <= 0) return;
  TrialRecord& trial = trials_[static_cast<size_t>(spec.trial - 1)];
  std::string detail;
  if (outcome.status == status::kDone) {
    auto it = outcome.final_metrics.find(config_.objective());
    if (it == outcome.final_metrics.end() || !std::isfinite(it->second)) {
      trial.state = trial_state::kFailed;
      detail = "its run logged no " + config_.objective();
    } else {
      trial.state = trial_state::kDone;
      trial.value = it->second;
      if (pruner_) pruner_->Finished(trial.number);
      if (best_trial_ == 0 ||
          Better(trial.value, trials_[static_cast<size_t>(best_trial_ - 1)].value,
                 config_.direction)) {
        best_trial_ = trial.number;
      }
      detail = config_.objective() + " " + FormatMetric(trial.value);
    }
  } else if (outcome.status == status::kPruned) {
    trial.state = trial_state::kPruned;
    auto it = last_decision_.find(trial.number);
    if (it != last_decision_.end()) {
      trial.step = it->second.step;
      trial.intermediate = it->second.value;
      detail = "at epoch " + std::to_string(trial.step) + ", " + config_.pruner.metric + " " +
               FormatMetric(trial.intermediate);
    }
  } else if (outcome.status == status::kFailed) {
    trial.state = trial_state::kFailed;
  } else {
    return;  // interrupted: still running, asked again when the study resumes
  }
  Save(trial, writer);
  if (out_ != nullptr) {
    std::string best;
    if (best_trial_ > 0) {
      best = " (best " + FormatMetric(trials_[static_cast<size_t>(best_trial_ - 1)].value) +
             ", trial " + std::to_string(best_trial_) + ")";
    }
    std::fprintf(out_, "trial %lld/%lld %s%s%s%s\n", static_cast<long long>(trial.number),
                 static_cast<long long>(budget()), trial.state.c_str(),
                 detail.empty() ? "" : ": ", detail.c_str(), best.c_str());
    std::fflush(out_);
  }
}

std::string SearchPlanner::Observe(const std::string& stage_key, const std::string& name,
                                   int64_t step, double value) {
  if (name != config_.pruner.metric) return {};
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = trial_of_key_.find(stage_key);
  if (it == trial_of_key_.end() || !pruner_) return {};
  const std::optional<PruneDecision> decision = pruner_->Report(it->second, step, value);
  if (!decision) return {};
  last_decision_[it->second] = *decision;
  if (writer_ != nullptr && study_id_ != 0) {
    const RungRow row{it->second, decision->rung, decision->step, decision->value,
                      decision->prune ? "prune" : "continue"};
    writer_->Post([id = study_id_, row](Store& store) { store.InsertRung(id, row); });
  }
  return decision->prune ? decision->reason : std::string();
}

std::string SearchPlanner::Describe() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t done = 0, pruned = 0, failed = 0;
  for (const TrialRecord& t : trials_) {
    done += t.state == trial_state::kDone;
    pruned += t.state == trial_state::kPruned;
    failed += t.state == trial_state::kFailed;
  }
  std::string text = "search: " + config_.strategy;
  if (config_.strategy != "grid") {
    text += " over " + std::to_string(config_.space.size()) + " parameter(s)";
  }
  text += ", " + std::to_string(budget()) + " trials";
  if (!trials_.empty()) {
    text += " (" + std::to_string(trials_.size()) + " recorded: " + std::to_string(done) +
            " done, " + std::to_string(pruned) + " pruned, " + std::to_string(failed) +
            " failed, " + std::to_string(to_resume_.size()) + " to resume)";
  }
  text += "; objective " + config_.objective() +
          (config_.direction == Direction::kMaximize ? " (maximize)" : " (minimize)");
  if (pruner_) {
    text += "; pruner " + config_.pruner.type + " on " + config_.pruner.stage + "." +
            config_.pruner.metric + " from epoch " + std::to_string(config_.pruner.min_epochs);
    if (config_.pruner.type == "asha") {
      text += ", reduction factor " + std::to_string(config_.pruner.reduction_factor);
    }
  }
  return text;
}

}  // namespace pipeline
