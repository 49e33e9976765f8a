#pragma once
// The artifact side of the resample stages: reading the example count and labels of the input,
// writing the selected rows of every row-aligned tensor, and logging the output's class counts.
//
// A tensor is row-aligned when its first dimension equals the example count N (the rows of
// "y", else of "x"). Note the ambiguity this rule accepts: a per-class tensor such as
// "class_weights" [C] is treated as row-aligned when C happens to equal N.
// Functions here are for the stage's own thread.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/stage.h"

namespace stages {

// N: the rows of the first input's "y", else of its "x"; throws pipeline::StageError naming
// the stage and what the input holds when it has neither.
int64_t ExampleCount(const pipeline::StageContext& ctx);

// The labels "y" of the first input; throws pipeline::StageError naming the stage when absent.
std::vector<int32_t> InputLabels(const pipeline::StageContext& ctx);

// The number of classes: max(meta "classes" (when an integer), largest label + 1).
int64_t InputClassCount(const pipeline::StageContext& ctx, const std::vector<int32_t>& labels);

// The output artifact: rows[k] of every row-aligned tensor of input 0 as its row k, every
// other tensor unchanged, and the input's metadata.
void PutSelectedRows(pipeline::StageContext& ctx, const std::vector<int64_t>& rows);

// The output artifact: every tensor and the metadata of input 0, unchanged.
void PutUnchanged(pipeline::StageContext& ctx);

// Logs "examples" (the output's N) and, when the output has "y", "class_count" at step c for
// every class c in [0, classes) -- classes from InputClassCount of the input, so a class that
// a stage removed is logged with count 0.
void LogOutputCounts(pipeline::StageContext& ctx);

}  // namespace stages
