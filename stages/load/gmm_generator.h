#pragma once
// Synthetic data from a Gaussian mixture with diagonal covariances and known parameters: the
// ground truth for the GMM study (S6), where EM's estimates are compared with the weights,
// means and variances that generated the data.
//
//   p(x) = sum_k w_k N(x; mu_k, diag(sigma2_k))
//
// Stage "gmm_generator" (kind load, uses the rng). Its parameters are declared with the
// stage type (the .cc file); `pipeline stages <type>` and docs/stages.md print them.
// Output
//   x               float32 [n, dims]  the points
//   y               int32   [n]        the component that generated each point
//   ids             int32   [n]        0..n-1
//   true_weights    float64 [K]        } the truth; one row per component, NOT per point, so
//   true_means      float64 [K, dims]  } stages that filter examples must not treat them as
//   true_variances  float64 [K, dims]  } row-aligned with x
//   meta {"classes": K, "components": K, "dims": dims}
// Files: "truth.json" {"weights": [...], "means": [[...]], "variances": [[...]]} and, with
// write_csv, "gmm_dataset.csv". Metric "examples" = n.
//
// Randomness: the parameters come from rng.Fork(0); point i (its component, then its
// coordinates) from rng.Fork(i + 1), so the data depends on the seed only, not the thread count.

#include <cstdint>
#include <vector>

#include "pipeline/rng.h"
#include "pipeline/stage.h"
#include "pipeline/tensor.h"

namespace stages {

struct GmmGeneratorOptions {
  int64_t examples = 2000;
  int64_t dims = 2;
  int64_t components = 3;
  std::vector<double> weights;  // empty: Dirichlet(2) draws
  double mean_box = 10.0;
  double min_variance = 0.5;
  double max_variance = 3.0;
};

struct GmmGeneratorTruth {
  std::vector<double> weights;     // [K], sums to 1
  pipeline::RowMatrixXd means;      // [K, dims]
  pipeline::RowMatrixXd variances;  // [K, dims]
};

struct GmmGeneratorSample {
  pipeline::RowMatrixXf x;      // [examples, dims]
  std::vector<int32_t> labels;  // generating component of each point
  GmmGeneratorTruth truth;
};

// Throws pipeline::ConfigError (naming the parameter) for weights of the wrong count, negative
// or not summing to 1, and for a bad variance range.
void ValidateGmmGeneratorOptions(const GmmGeneratorOptions& options);

// Draws the mixture parameters from rng.Fork(0).
GmmGeneratorTruth DrawGmmTruth(const GmmGeneratorOptions& options, const pipeline::Rng& rng);

// Draws the parameters and the points (in parallel, per-point streams). Validates first.
GmmGeneratorSample SampleGmm(const GmmGeneratorOptions& options, const pipeline::Rng& rng);

pipeline::StageType GmmGeneratorStage();

}  // namespace stages
