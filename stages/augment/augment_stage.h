#pragma once
// Stage "augment" (kind augment): makes randomly transformed copies of images and appends them
// to the data set. The transforms are listed in transform_pipeline.h.
//
// Parameters
//   transforms       list, default []: transform maps applied in order to every copy, e.g.
//                    [{type: rotate, degrees: [-15, 15]}, {type: hflip, p: 0.5}]
//   copy_transforms  list of lists, default []: when given, copy k applies `transforms` and then
//                    copy_transforms[k], so each copy can have its own transform set (study S2:
//                    five different transform sets, one per copy, concatenated). The number of
//                    copies is then its length; `copies` must be left at 1 or equal it.
//                    At least one of transforms / copy_transforms must be non-empty.
//   copies           int >= 1, default 1: augmented copies made of each selected image
//   keep_original    bool, default true: output the originals followed by the copies; false
//                    outputs the copies only
//   classes          list of ints, default [] (all): only images whose "y" is listed get
//                    copies, e.g. {classes: [7], copies: 4} oversamples class 7 five-fold
//   sample_grid      int >= 0, default 0: if > 0, writes "augment_samples.png" with that many
//                    selected images as rows, each followed by its copies (only for C = 1 or 3;
//                    other channel counts write no picture)
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
