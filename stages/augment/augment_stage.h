#pragma once
// Stage "augment" (kind augment): makes randomly transformed copies of images and appends them
// to the data set. The transforms are listed in transform_pipeline.h.
//
// Parameters: declared with the stage type (its .cc file); `pipeline stages <type>` and
// docs/stages.md print them with types, defaults and ranges.
//
// Input: one artifact with "x" float32 [N, C, H, W] (and "y" int32 [N] when `classes` is used).
// Output, row order: the N originals in input order (if keep_original), then copy 0 of every
// selected image in input order, then copy 1, ... (copy-major, like concatenating `copies`
// augmented versions of the selected set).
//   x               float32 [N_out, C, H, W]
//   every other tensor whose first dimension is N ("y", "ids", ...): extended row-aligned, a
//                   copy repeating its source row (same label, same id)
//   augmented_from  int32 [N_out]: row index of the source image in this stage's input, -1 for
//                   originals (replaces an input tensor of the same name)
//   augment_copy    int32 [N_out]: copy number k (index into copy_transforms), -1 for originals
//   other tensors and the input metadata pass through unchanged.
// Metrics: "examples_in" = N, "examples_out" = N_out, and "class_count" at step c = number of
// output rows with label c (for c = 0 .. max label, when "y" is present).
//
// Determinism: copy k of input row i draws all its random numbers from rng.Fork(i * copies + k),
// so the output depends only on the seed, never on the thread count or on `classes`.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType AugmentStage();

}  // namespace stages
