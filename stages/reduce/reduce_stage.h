#pragma once
// Stage "pca" (kind reduce): projects "x" onto principal components (stages/reduce/pca.h).
//
// Parameters: declared with the stage type (its .cc file); `pipeline stages <type>` and
// docs/stages.md print them with types, defaults and ranges.
//
// The stage draws the randomized solver's test matrix from ctx.rng(), so it is declared
// uses_rng (for every solver: the declaration is per stage type).
//
// Inputs: one or two artifacts with "x" float32 [N, ...] (read as N rows of row_size features).
//   - One input: fit on it and project it. Output = that input's tensors with "x" replaced.
//   - Two inputs: fit on input 1's "x" and project input 2's "x" (fit on train, apply to test).
//     Output = input 2's tensors ("y", "ids", ...) with "x" replaced, and input 2's metadata.
// Output also holds the model: "pca_mean" float64 [D], "pca_components" float64
// [components, D], "pca_explained_variance" float64 [components]; "x" is float32
// [rows, components]. Metadata: the projected input's, plus {"pca_solver": the solver used}.
// Metrics: "explained_variance_ratio" at step c (0-based component index) and
// "explained_variance_total" (sum of the kept ratios), both of the fitted data.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType PcaStage();

}  // namespace stages
