#pragma once
// The optimiser parameter as a study writes it, e.g.
//   {optimizer: sgd, lr: 0.1, momentum: 0.9, nesterov: true, l2: 0.001}
// declared once (OptimizerParam: the fields of each optimiser, their defaults and ranges; see
// `pipeline stages train`) and built into an Optimizer. The formulas are in sgd.h and
// adaptive_optimizers.h.

#include <memory>
#include <string>
#include <vector>

#include "pipeline/params.h"
#include "stages/train/optimizer.h"

namespace stages {

// The declaration of the `optimizer` parameter: tagged by `optimizer` (default adam with
// lr 0.001), with weight_decay, l2 and l1 for every optimiser.
pipeline::ParamSpec OptimizerParam(const std::string& name = "optimizer");

// Resolves `config` against OptimizerParam (so {lr: 0.01} is Adam) and builds the optimiser.
// Throws ConfigError naming `key_path` (e.g. "optimizer.momentum") on an unknown optimiser or
// key (with the nearest name), a value of the wrong type or range, or a key of another
// optimiser (e.g. momentum with adam).
std::unique_ptr<Optimizer> MakeOptimizer(const pipeline::Json& config,
                                         const std::string& key_path = "optimizer");

// The valid values of "optimizer".
const std::vector<std::string>& OptimizerNames();

}  // namespace stages
