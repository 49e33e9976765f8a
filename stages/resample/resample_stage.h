#pragma once
// Stages that change the class balance of a labelled set (kind resample; algorithms in
// stages/resample/sampling.h and class_weights.h). Each takes one input with "y" int32 [N]
// (subset without `stratified` does not need it) and keeps every row-aligned tensor ("x", "y",
// "ids", "split", ... -- first dimension N) consistent; other tensors and the metadata pass
// through. Each logs "examples" and "class_count" (step = class index) of its output, so class
// counts are queryable per run.
//
// "subset" (uses the rng): a random subset or permutation.
//   limit       int >= 0, default 0: rows kept; 0 keeps all
//   shuffle     bool, default true: random choice and order; false: the first rows in order
//   stratified  bool, default false: keep the class proportions when limiting
//
// "imbalance" (uses the rng): makes chosen classes rare, e.g. Fashion-MNIST 'shirt' at the
// 1.6% a facial-expression set's rarest class has.
//   classes   list of ints, required: the classes to thin out
//   fraction  float in (0, 1], default 1.0: keep round(fraction * n_c) of each chosen class
//             (halves round up; at least 1 example is kept)
//   keep      int >= 0, default 0: when > 0, keep exactly min(keep, n_c) instead
//
// "oversample" (deterministic): repeats the examples of chosen classes.
//   classes  list of ints, required
//   factor   int >= 1, default 2: each chosen example appears `factor` times in total; the
//            output is the input rows in order followed by factor - 1 rounds of the chosen rows
//
// "undersample" (uses the rng): caps every class.
//   per_class  int >= 0, default 0: keep at most this many (randomly chosen) examples of each
//              class; 0 means the count of the smallest class present
//
// "class_weights" (deterministic): passes the data through and adds "class_weights" float32 [C]
// for a class-weighted loss.
//   scheme  "balanced" (default): w_c = N / (K n_c) with K the classes present (scikit-learn's
//           "balanced"; the weights average 1 over the examples); "uniform": 1 for every class
//           present. A class with no examples gets weight 0 under both.
//   Also logs "class_weight" at step = class.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType SubsetStage();
pipeline::StageType ImbalanceStage();
pipeline::StageType OversampleStage();
pipeline::StageType UndersampleStage();
pipeline::StageType ClassWeightsStage();

}  // namespace stages
