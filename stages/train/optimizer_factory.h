#pragma once
// Builds an optimiser from its JSON description, as a study writes it, e.g.
//   {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": true, "l2": 0.001}
//
// Keys (absent or null means the default):
//   optimizer            "sgd" | "adagrad" | "rmsprop" | "adam"   (default "sgd")
//   lr                   learning rate; default 0.01 (sgd, adagrad, rmsprop), 0.001 (adam)
//   momentum, nesterov   sgd only; defaults 0 and false
//   initial_accumulator  adagrad only; default 0
//   alpha                rmsprop only; default 0.99
//   beta1, beta2         adam only; defaults 0.9 and 0.999
//   eps                  adagrad (default 1e-10), rmsprop and adam (default 1e-8)
//   weight_decay, l2, l1 penalties on weights, any optimiser; default 0 (see PenaltyOptions)
// The formulas are in sgd.h and adaptive_optimizers.h.
//
// Throws ConfigError, with `key_path` (e.g. "train.optimizer") in the message, on an unknown
// optimizer name or key (listing the valid ones and the nearest), a value of the wrong type or
// range, or a key of another optimiser set to a non-default value (e.g. momentum with adam),
// which would otherwise be silently ignored.

#include <memory>
#include <string>
#include <vector>

#include "pipeline/params.h"
#include "stages/train/optimizer.h"

namespace stages {

std::unique_ptr<Optimizer> MakeOptimizer(const pipeline::Json& config,
                                         const std::string& key_path = "optimizer");

// The valid values of "optimizer".
const std::vector<std::string>& OptimizerNames();

}  // namespace stages
