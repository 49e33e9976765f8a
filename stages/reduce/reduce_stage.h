#pragma once
// Stage "pca" (kind reduce): projects "x" onto principal components (stages/reduce/pca.h).
//
// Parameters
//   components     int >= 1, default 2: number of components kept; must not exceed the number
//                  of features per example (StageError otherwise)
//   whiten         bool, default false: scale each output column to unit variance (divide by
//                  the square root of its explained variance)
//   solver         "auto" | "exact" | "randomized", default "auto": exact = eigenvectors of the
//                  covariance; randomized = Halko et al. (stages/reduce/randomized_pca.h);
//                  auto = scikit-learn's rule, randomized when max(N, D) > 500 and
//                  components < 0.8 * min(N, D), exact otherwise
//   n_iter         int >= -1, default -1: power iterations of the randomized solver; -1 = auto
//                  (7 when components < 0.1 * min(N, D), else 4, as scikit-learn)
//   n_oversamples  int >= 0, default 10: extra random directions of the randomized solver
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
