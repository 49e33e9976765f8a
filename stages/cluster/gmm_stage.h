#pragma once
// Stage "gmm" (kind cluster, uses the rng): a Gaussian mixture fitted by EM
// (stages/cluster/gmm.h), e.g. for S6's model selection over K.
//
// Parameters: declared with the stage type (its .cc file, shared with gmm_bayes in
// gmm_params.h); `pipeline stages <type>` and docs/stages.md print them.
//
// Input: one artifact with "x" float32 [N, ...] (read as N rows of row_size features).
// Output: the input's "x", "y", "ids" (those present) and
//   "assignments"      int32 [N], the most responsible component of each example
//   "gmm_weights"      float64 [K]
//   "gmm_means"        float64 [K, D]
//   "gmm_variances"    float64 [K, D]      (diag)
//   "gmm_covariances"  float64 [K, D, D]   (full)
// with the components numbered by INCREASING MIXING WEIGHT (S6's reporting order; the
// assignments use the same numbering). Meta: the input's plus {"components", "covariance",
// "converged", "nll", "aic", "bic"}.
// File "gmm_parameters.csv": one row per component in that order, columns component, weight,
// mean_0..mean_{D-1}, var_0..var_{D-1} (the covariance diagonal for full models).
// Metrics: "nll" (mean negative log-likelihood per example) at step t for the best restart
// (step 0: after initialisation; the last step is the final NLL), "nll_total" (N * nll), "aic",
// "bic", "parameters", "iterations", "converged" (0/1), "reseeds" (iterations that re-seeded an
// empty component).
// A numerical breakdown fails the stage with a StageError saying why; no NaN is ever output.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType GmmStage();

}  // namespace stages
