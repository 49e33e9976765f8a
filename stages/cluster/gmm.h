#pragma once
// Gaussian mixture models fitted by expectation-maximisation (Dempster, Laird & Rubin, "Maximum
// likelihood from incomplete data via the EM algorithm", 1977; Bishop, "Pattern Recognition and
// Machine Learning", 2006, section 9.2), with diagonal or full covariance matrices.
//
// Model: p(x) = sum_k w_k N(x | mu_k, Sigma_k). Each iteration
//   E-step  r_ik = w_k N(x_i | k) / p(x_i), computed in the log domain with log-sum-exp, so an
//           unnormalised density is never exponentiated;
//   M-step  N_k = sum_i r_ik, w_k = N_k / N, mu_k = sum_i r_ik x_i / N_k,
//           Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + reg_covar * I
//           (diagonal: only the diagonal is kept, stored as a vector of variances).
// Full covariances are used through their Cholesky factor L (Sigma = L L^T):
//   log N(x | mu, Sigma) = -1/2 (D log 2pi + 2 sum_d log L_dd + ||L^-1 (x - mu)||^2).
//
// Safeguards, so that no NaN or Inf ever leaves this file:
//   - reg_covar (default 1e-6, as scikit-learn) is added to every variance (the covariance
//     diagonal), so a constant feature or a component sitting on duplicated points keeps a
//     positive, finite variance;
//   - a component whose responsibility mass N_k falls below kMinComponentMass (1e-3 points) is
//     re-seeded: its mean moves onto the example with the lowest likelihood under the current
//     model (the worst-explained point; the next-worst for a second empty component, ...), its
//     variances become the data's per-feature variances (+ reg_covar), and it gets the mass of
//     one point (N_k = 1) before the weights are renormalised. The iteration is recorded in
//     GmmResult::reseed_iterations, because a re-seed is not an EM step and may raise the NLL;
//   - non-finite input values, a covariance that is not positive definite (Cholesky fails), a
//     zero variance (only possible with reg_covar = 0) or a non-finite log-likelihood throw
//     pipeline::StageError with a message naming the component and the remedy.
// The NLL is non-increasing from one iteration to the next, except at re-seeding iterations and
// for the second-order effect of reg_covar (the regularised M-step is not the exact maximiser).
//
// The NLL reported everywhere is the MEAN negative log-likelihood per example,
//   nll = -(1/N) sum_i log p(x_i)
// (scikit-learn's -score), so values are comparable across data-set sizes; the total is N * nll.
// AIC = 2 N nll + 2 p and BIC = 2 N nll + p ln N, with p free parameters:
//   p = (K - 1) + K D + K D            (diagonal)
//   p = (K - 1) + K D + K D (D + 1)/2  (full).
//
// Determinism: restart r draws from rng.Fork(r) (k-means seeding or random responsibilities);
// every pass over the data runs over fixed row blocks with fixed-order reductions
// (stages/common/row_blocks.h), so results are bit-identical for any thread count. Ties between
// restarts go to the earliest.
// Thread-safe: no shared state; parallel loops run in the caller's task arena.

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/rng.h"
#include "pipeline/tensor.h"

namespace stages {

enum class CovarianceType { kDiagonal, kFull };
enum class GmmInit {
  kKMeans,  // hard responsibilities from one k-means++ seeded k-means run (kmeans.h)
  kRandom,  // uniform random responsibilities, normalised per example (scikit-learn "random")
};

enum class GmmConvergence { kRelative, kAbsolute };

// Parses "diag" / "full", "kmeans" / "random" and "relative" / "absolute"; throws
// pipeline::StageError otherwise.
CovarianceType ParseCovarianceType(const std::string& name);
GmmInit ParseGmmInit(const std::string& name);
GmmConvergence ParseGmmConvergence(const std::string& name);
const char* CovarianceTypeName(CovarianceType type);

// Responsibility mass below which a component counts as empty and is re-seeded.
constexpr double kMinComponentMass = 1e-3;

struct GmmOptions {
  int64_t components = 1;  // K, in 1..N
  CovarianceType covariance = CovarianceType::kDiagonal;
  int64_t max_iterations = 500;  // EM iterations per restart (>= 0)
  // kRelative: converged when |nll_{t-1} - nll_t| <= tolerance * max(|nll_{t-1}|, 1), a
  // relative change (S6 uses 1e-5), absolute per example when |nll| < 1 so that an NLL near 0
  // can converge. kAbsolute: when |nll_{t-1} - nll_t| < tolerance, scikit-learn's rule (the
  // change of the per-example lower bound; its default tol is 1e-3).
  double tolerance = 1e-5;
  GmmConvergence convergence = GmmConvergence::kRelative;
  double reg_covar = 1e-6;  // added to every variance; >= 0
  GmmInit init = GmmInit::kKMeans;
  int64_t restarts = 1;  // n_init >= 1; the lowest final NLL is kept
};

struct GmmModel {
  CovarianceType covariance = CovarianceType::kDiagonal;
  Eigen::VectorXd weights;                   // [K], positive, sum 1
  pipeline::RowMatrixXd means;               // [K, D]
  pipeline::RowMatrixXd variances;           // [K, D] diagonal models; full: the diagonals
  std::vector<Eigen::MatrixXd> covariances;  // K x [D, D], full models only (else empty)

  int64_t components() const { return weights.size(); }
  int64_t dims() const { return means.cols(); }
};

struct GmmResult {
  GmmModel model;
  std::vector<int32_t> assignments;  // [N] argmax_k r_ik (lowest k on ties)
  // Mean NLL per example after initialisation (index 0) and after each iteration (index t);
  // size iterations + 1; the last element equals nll.
  std::vector<double> nll_history;
  double nll = 0.0;        // final mean NLL per example
  double total_nll = 0.0;  // N * nll
  int64_t iterations = 0;  // EM iterations the best restart ran
  bool converged = false;  // false: stopped at max_iterations
  int64_t best_restart = 0;
  std::vector<int64_t> reseed_iterations;  // iterations (of the best restart) that re-seeded
  int64_t parameters = 0;                  // p, free parameters
  double aic = 0.0;
  double bic = 0.0;
};

// Called after initialisation (iteration 0) and after each iteration of every restart; may throw
// to abort, e.g. pipeline::Interrupted from StageContext::CheckCancelled.
using GmmObserver = std::function<void(int64_t restart, int64_t iteration, double nll)>;

// Fits a mixture to the rows of x (N examples x D features). Throws pipeline::StageError for
// components outside 1..N, restarts < 1, reg_covar < 0, a non-finite input value, or a numerical
// breakdown (see above).
GmmResult FitGmm(const Eigen::Ref<const pipeline::RowMatrixXf>& x, const GmmOptions& options,
                 const pipeline::Rng& rng, const GmmObserver& observer = {});

// EM iterations from a given model instead of a k-means or random start: one run, reported as
// restart 0 (options.components, init and restarts are not used; the covariance type is the
// model's). For warm starts and for tests. Throws pipeline::StageError when the model's shape
// does not match x.
GmmResult RefineGmm(const Eigen::Ref<const pipeline::RowMatrixXf>& x, const GmmModel& initial,
                    const GmmOptions& options, const GmmObserver& observer = {});

// Number of free parameters of a K-component mixture in D dimensions.
int64_t GmmParameterCount(CovarianceType covariance, int64_t components, int64_t dims);

// log p(x_i) under the model for each row of x: [N]. For held-out NLL (-mean) and for the Bayes
// classifier. Throws pipeline::StageError if x's width differs from the model's or a
// covariance is not positive definite.
Eigen::VectorXd GmmLogDensity(const GmmModel& model,
                              const Eigen::Ref<const pipeline::RowMatrixXf>& x);

// Reorders the components by increasing weight (stable: ties keep their order) and renumbers
// the assignments to match, as S6 wants the parameters reported.
void SortComponentsByWeight(GmmResult& result);

}  // namespace stages
