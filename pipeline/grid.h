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
};

struct Grid {
  std::vector<RunSpec> runs;
  std::vector<std::string> swept;  // the paths that take more than one value
  std::vector<const StageType*> types;  // aligned with Study::stages
};

// Throws ConfigError (file:line:column, key path) for unknown types or parameters (with the
// nearest valid name), bad values, missing required parameters, wrong input counts and zip
// groups of unequal length.
Grid ExpandGrid(const Study& study, const StageRegistry& registry);

}  // namespace pipeline
