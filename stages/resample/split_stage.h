#pragma once
// Stages "split" and "take" (kind resample): partition a labelled set once, then select parts.
// The shuffle happens in split; take is deterministic, so the partition never depends on which
// part a later stage keeps (algorithms: stages/resample/split.h).
//
// Stage "split" (uses the rng), one input with "y" int32 [N] (when stratified) and any other
// row-aligned tensors ("x", "ids", ...).
//   validation  float in [0, 1), default 0.1: fraction of each class held out for validation
//   test        float in [0, 1), default 0.0: fraction of each class held out for test
//               (validation + test < 1, else the stage fails)
//   stratify    bool, default true: keep the class proportions (parts and folds); needs "y"
//   folds       int >= 0, default 0: when >= 2, also deal the train part into this many folds
// Output: the input unchanged (same rows, same order, same metadata) plus "split" int32 [N]
// (0 train, 1 validation, 2 test) and, with folds >= 2, "fold" int32 [N] (0..folds-1 for train
// examples, -1 otherwise); with folds < 2 an input "fold" from an earlier split is dropped.
// Metrics: "train_examples", "validation_examples", "test_examples", "examples" and
// "class_count" (step = class) of the whole output.
//
// Stage "take" (deterministic), one input produced by split.
//   part  "train" | "validation" | "test" | "all", default "train": the part kept
//   fold  int >= -1, default -1: -1 ignores folds; f >= 0 selects k-fold cross-validation fold
//         f: part "train" keeps the train examples with fold != f, "validation" those with
//         fold == f (the input's own validation part is then not used)
// Output: the kept rows of every row-aligned tensor, in their input order; other tensors and
// the metadata unchanged. Fails (StageError) when the input has no "split" (or no "fold" while
// fold >= 0), naming the split stage to put before it.
// Metrics: "examples" and "class_count" (step = class) of the output.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType SplitStage();
pipeline::StageType TakeStage();

}  // namespace stages
