#pragma once
// Stage "pca" (kind reduce): projects the input's "x" onto its principal components
// (stages/reduce/pca.h). Deterministic, so it does not use the rng.
//
// Parameters
//   components  int >= 1, default 2: number of components kept; must not exceed the number of
//               features per example (StageError otherwise)
//   whiten      bool, default false: scale each output column to unit variance
//
// Input: one artifact with "x" float32 [N, ...] (read as N rows of row_size features).
// Output: "x" float32 [N, components]; every other input tensor passed through unchanged
// ("y", "ids", ...); "pca_mean" float64 [D], "pca_components" float64 [components, D],
// "pca_explained_variance" float64 [components]; the input's metadata.
// Metrics: "explained_variance_ratio" at step c (0-based component index) and
// "explained_variance_total" (sum of the kept ratios).

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType PcaStage();

}  // namespace stages
