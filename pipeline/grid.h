#pragma once
// Grid expansion: a Study plus the stage registry become the list of runs.
//
// Every parameter value written as a list (for a scalar parameter), as {sweep: [...]} (for any
// parameter, including list-valued ones such as a network's layers) or as {range: [a, b]} /
// {range: [a, b, step]} (inclusive) is a sweep axis. The runs are the cartesian product of the
// axes — the first axis varies slowest — except that the axes of one `zip:` group advance
// together. With `variants:`, each variant applies its overrides and expands on its own; the
// runs are the concatenation in variant order. Parameter values are converted to their declared
// types here, so a wrong value is reported with its file position before anything runs.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/params.h"
#include "pipeline/study.h"

namespace pipeline {

class StageRegistry;
struct StageType;

struct RunSpec {
  std::string variant;  // "" when the study has no variants
  uint64_t seed = 0;
  // Resolved parameters of each stage (every declared parameter present), aligned with
  // Study::stages.
  std::vector<Json> stage_params;
  // Flat view for the database: {"stage.param": value, ..., "seed": n[, "variant": name]}.
  Json flat_params;
  // The search trial this run carries (search_planner.h); 0 outside a search. Not part of the
  // run's identity: a trial that resolves to an earlier run's stages is that run.
  int64_t trial = 0;
};

struct Grid {
  std::vector<RunSpec> runs;
  std::vector<std::string> swept;  // the paths that take more than one value
  std::vector<const StageType*> types;  // aligned with Study::stages
};

// The most runs a study may expand to unless the caller allows more (`pipeline run --max-runs`).
inline constexpr size_t kDefaultMaxRuns = 100'000;

// Throws ConfigError (file:line:column, key path) for unknown types or parameters (with the
// nearest valid name), bad values, missing required parameters, wrong input counts, zip groups
// of unequal length, and a grid of more than `max_runs` runs (all variants together). The size
// is the product of the axis sizes, checked before any run is built; so is the number of
// combinations the lists inside one map parameter make.
Grid ExpandGrid(const Study& study, const StageRegistry& registry,
                size_t max_runs = kDefaultMaxRuns);

}  // namespace pipeline
