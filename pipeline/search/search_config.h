#pragma once
// SearchConfig: a study's `search:` block and the distributions in its stages, checked.
//
//   search:
//     strategy: tpe            # grid (the default: every grid point, in order) | random | tpe
//     trials: 60               # the total for the study, kept across resumes (random / tpe)
//     objective: model.val_accuracy    # stage.metric: the metric's last value rates a trial
//     direction: maximize      # or minimize; default from the metric's name (accuracy, loss)
//     startup_trials: 10       # tpe: random trials before the model is used
//     pruner: {type: asha, metric: model.val_accuracy, min_epochs: 1, reduction_factor: 3}
//             # or {type: median, min_epochs: 1, startup_trials: 5}; none (default): no pruning
//
// Distributions ({uniform: [a, b]}, {loguniform: [a, b]}, {int: [a, b]}, {logint: [a, b]},
// {choice: [...]}) may stand for any value in a stage, inside maps and lists too; the search
// substitutes each trial's values (WithValues) and expands the result like any study, so a
// trial is an ordinary run with ordinary stage keys and sharing. Mistakes are ConfigErrors
// with the file, line and key.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "pipeline/search/sampler.h"
#include "pipeline/search/search_space.h"
#include "pipeline/study.h"

namespace pipeline {

struct PrunerConfig {
  std::string type;  // "" (none), "asha" or "median"
  std::string stage;   // whose metric is watched
  std::string metric;  // its name, e.g. val_accuracy
  int64_t min_epochs = 1;        // the first step at which the pruner may stop a trial
  int64_t reduction_factor = 3;  // asha: rungs at min_epochs * factor^k, top 1/factor go on
  int64_t startup_trials = 5;    // median: finished trials before anything is pruned
};

struct SearchConfig {
  std::string strategy = "grid";
  int64_t trials = 0;
  std::string objective_stage;
  std::string objective_metric;
  Direction direction = Direction::kMaximize;
  TpeOptions tpe;
  PrunerConfig pruner;
  SearchSpace space;

  std::string objective() const { return objective_stage + "." + objective_metric; }
};

// The direction a metric's name implies ("val_loss": minimize, "accuracy": maximize), or
// nullopt when the name does not say. `metric` is the name without its stage.
std::optional<Direction> DirectionFromName(const std::string& metric);

// Whether the study's values hold any distribution (they then need a random or tpe search).
bool HasDistributions(const Study& study);

// The study's search, or nullopt when it has no `search:` block. Throws ConfigError for a bad
// block, a distribution outside random / tpe, or distributions of a malformed shape.
std::optional<SearchConfig> ParseSearchConfig(const Study& study);

// The study with trial values (aligned with `config.space`) in place of the distributions.
Study WithValues(const Study& study, const SearchConfig& config, const std::vector<Json>& values);

}  // namespace pipeline
