#include "stages/cluster/gmm.h"

// Implementation notes
// - The data is converted to double and centred on its mean once per fit; the means are shifted
//   back at the end. Centring costs nothing (densities are translation invariant) and keeps the
//   expanded forms below well conditioned when the data sit far from the origin.
// - E-step: per fixed block of rows, the K weighted log densities l_ik = log w_k + log N(x_i|k).
//   Diagonal: sum_d (x_d - mu_d)^2 p_d = x^2.p - 2 x.(mu p) + mu^2.p with p = 1/var, i.e. two
//   matrix products per block (scikit-learn's formulation). Full: ||L_k^-1 (x - mu_k)||^2 from
//   the differences. log p(x_i) = m + log sum_k exp(l_ik - m) with m the row maximum, and
//   r_ik = exp(l_ik - log p(x_i)) <= 1, so nothing unnormalised is exponentiated.
// - M-step, diagonal: one pass accumulates N_k, sum r x and sum r x^2; var = E[x^2] - mu^2,
//   clamped at 0 before reg_covar is added (rounding can make an exactly-zero variance slightly
//   negative). Full: a second pass forms the scatter around the NEW means, because the one-pass
//   form would need D x D products of every example anyway.
// - Re-seeding needs a ranking of the examples by how badly the model explains them: after an
//   E-step that is -log p(x_i); at initialisation (no model yet) the squared distance to the
//   data mean stands in for it.
// - Every reduction goes through ReduceRowBlocks over kBlockRows-row blocks, so the numbers do
//   not depend on the number of threads.

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <utility>

#include <Eigen/Cholesky>

#include "pipeline/errors.h"
#include "stages/cluster/kmeans.h"
#include "stages/common/row_blocks.h"

namespace stages {
namespace {

constexpr int64_t kBlockRows = 1024;
const double kLog2Pi = std::log(2.0 * 3.14159265358979323846);

using pipeline::RowMatrixXd;
using pipeline::RowMatrixXf;
using DataRef = Eigen::Ref<const RowMatrixXd>;

std::string Fail(const std::string& message) { return "gmm: " + message; }

// Per-component terms of the log density, computed once per E-step.
struct ComponentTerms {
  Eigen::VectorXd constants;  // [K] log w_k - 1/2 (D log 2pi + log det Sigma_k)
  RowMatrixXd precisions;                       // [K, D] 1 / var, diagonal models
  RowMatrixXd scaled_means;                     // [K, D] mu / var, diagonal models
  std::vector<Eigen::MatrixXd> inverse_factor;  // L_k^-1 (lower triangular), full models
};

ComponentTerms PrepareTerms(const GmmModel& model) {
  const int64_t components = model.components();
  const auto dims = static_cast<double>(model.dims());
  ComponentTerms terms;
  terms.constants.resize(components);
  if (model.covariance == CovarianceType::kDiagonal) {
    terms.precisions = model.variances.cwiseInverse();
    terms.scaled_means = model.means.cwiseProduct(terms.precisions);
    for (int64_t k = 0; k < components; ++k) {
      terms.constants(k) =
          std::log(model.weights(k)) -
          0.5 * (dims * kLog2Pi + model.variances.row(k).array().log().sum() +
                 model.means.row(k).dot(terms.scaled_means.row(k)));
    }
    return terms;
  }
  terms.inverse_factor.resize(static_cast<size_t>(components));
  for (int64_t k = 0; k < components; ++k) {
    const Eigen::LLT<Eigen::MatrixXd> llt(model.covariances[static_cast<size_t>(k)]);
    if (llt.info() != Eigen::Success) {
      throw pipeline::StageError(Fail(
          "the covariance of component " + std::to_string(k) +
          " is not positive definite (its Cholesky factorisation failed); raise reg_covar or "
          "standardise the features"));
    }
    const Eigen::MatrixXd factor = llt.matrixL();
    const double log_det = 2.0 * factor.diagonal().array().log().sum();
    terms.constants(k) = std::log(model.weights(k)) - 0.5 * (dims * kLog2Pi + log_det);
    terms.inverse_factor[static_cast<size_t>(k)] =
        factor.triangularView<Eigen::Lower>().solve(
            Eigen::MatrixXd::Identity(factor.rows(), factor.cols()));
  }
  return terms;
}

// out(i, k) = log w_k + log N(block_i | mu_k, Sigma_k); out is [B, K].
void WeightedLogDensities(const DataRef& block, const GmmModel& model,
                          const ComponentTerms& terms, Eigen::MatrixXd& out) {
  const int64_t components = model.components();
  out.resize(block.rows(), components);
  if (model.covariance == CovarianceType::kDiagonal) {
    const RowMatrixXd squares = block.array().square().matrix();
    out.noalias() = squares * terms.precisions.transpose() * -0.5;
    out.noalias() += block * terms.scaled_means.transpose();
    out.rowwise() += terms.constants.transpose();
    return;
  }
  for (int64_t k = 0; k < components; ++k) {
    const RowMatrixXd diff = block.rowwise() - model.means.row(k);
    const RowMatrixXd whitened = diff * terms.inverse_factor[static_cast<size_t>(k)].transpose();
    out.col(k) = whitened.rowwise().squaredNorm().array() * -0.5 + terms.constants(k);
  }
}

// log_sum(i) = log sum_k exp(weighted(i, k)) with the row maximum taken out first, so every
// exponent is <= 0. Rows whose maximum is not finite come out non-finite (caught by CheckFinite).
Eigen::VectorXd LogSumExpRows(const Eigen::MatrixXd& weighted) {
  const Eigen::VectorXd peak = weighted.rowwise().maxCoeff();
  const Eigen::VectorXd sums = (weighted.colwise() - peak).array().exp().rowwise().sum();
  return peak.array() + sums.array().log();
}

// Throws naming the first example whose log-likelihood is not finite.
void CheckFinite(const Eigen::VectorXd& log_likelihood) {
  for (Eigen::Index i = 0; i < log_likelihood.size(); ++i) {
    if (!std::isfinite(log_likelihood(i))) {
      std::ostringstream message;
      message << "the log-likelihood of example " << i << " is " << log_likelihood(i)
              << " (the densities under- or overflowed); standardise the features or raise "
                 "reg_covar";
      throw pipeline::StageError(Fail(message.str()));
    }
  }
}

// E-step: fills the responsibilities [N, K] and log p(x_i) [N]; returns the mean NLL.
double ExpectationStep(const DataRef& x, const GmmModel& model, RowMatrixXd& responsibilities,
                       Eigen::VectorXd& log_likelihood) {
  const int64_t examples = x.rows();
  const ComponentTerms terms = PrepareTerms(model);
  responsibilities.resize(examples, model.components());
  log_likelihood.resize(examples);
  const double total =
      ReduceRowBlocks(examples, kBlockRows, 0.0, [&](int64_t begin, int64_t end, double& partial) {
        Eigen::MatrixXd weighted;
        WeightedLogDensities(x.middleRows(begin, end - begin), model, terms, weighted);
        const Eigen::VectorXd block_likelihood = LogSumExpRows(weighted);
        log_likelihood.segment(begin, end - begin) = block_likelihood;
        responsibilities.middleRows(begin, end - begin) =
            (weighted.colwise() - block_likelihood).array().exp().matrix();
        partial += block_likelihood.sum();
      });
  if (!std::isfinite(total)) CheckFinite(log_likelihood);
  return -total / static_cast<double>(examples);
}

// Per-feature mean and variance of the data; variances seed re-seeded components.
struct DataMoments {
  Eigen::RowVectorXd mean;
  Eigen::RowVectorXd variance;
};

DataMoments ComputeMoments(const DataRef& x) {
  const int64_t examples = x.rows();
  DataMoments moments;
  moments.mean = ReduceRowBlocks(examples, kBlockRows, Eigen::RowVectorXd::Zero(x.cols()).eval(),
                                 [&](int64_t begin, int64_t end, Eigen::RowVectorXd& partial) {
                                   partial += x.middleRows(begin, end - begin).colwise().sum();
                                 }) /
                 static_cast<double>(examples);
  moments.variance =
      ReduceRowBlocks(examples, kBlockRows, Eigen::RowVectorXd::Zero(x.cols()).eval(),
                      [&](int64_t begin, int64_t end, Eigen::RowVectorXd& partial) {
                        partial += (x.middleRows(begin, end - begin).rowwise() - moments.mean)
                                       .array()
                                       .square()
                                       .matrix()
                                       .colwise()
                                       .sum();
                      }) /
      static_cast<double>(examples);
  return moments;
}

struct FirstMoments {
  Eigen::RowVectorXd mass;  // [K] N_k
  RowMatrixXd sums;         // [K, D] sum_i r_ik x_i
  RowMatrixXd squares;      // [K, D] sum_i r_ik x_i^2, diagonal models only
  FirstMoments& operator+=(const FirstMoments& other) {
    mass += other.mass;
    sums += other.sums;
    squares += other.squares;
    return *this;
  }
};

struct Scatter {
  std::vector<Eigen::MatrixXd> full;  // K x [D, D]
  Scatter& operator+=(const Scatter& other) {
    for (size_t k = 0; k < full.size(); ++k) full[k] += other.full[k];
    return *this;
  }
};

// M-step from responsibilities. `badness` ranks the examples for re-seeding (higher: worse
// explained). Returns the new model; sets *reseeded when a component was re-seeded.
GmmModel MaximizationStep(const DataRef& x, const RowMatrixXd& responsibilities,
                          const Eigen::VectorXd& badness, const DataMoments& moments,
                          const GmmOptions& options, bool* reseeded) {
  const int64_t examples = x.rows();
  const int64_t dims = x.cols();
  const int64_t components = responsibilities.cols();
  const bool diagonal = options.covariance == CovarianceType::kDiagonal;
  const FirstMoments zero{Eigen::RowVectorXd::Zero(components), RowMatrixXd::Zero(components, dims),
                          RowMatrixXd::Zero(diagonal ? components : 0, diagonal ? dims : 0)};
  FirstMoments first = ReduceRowBlocks(
      examples, kBlockRows, zero, [&](int64_t begin, int64_t end, FirstMoments& partial) {
        const auto block_r = responsibilities.middleRows(begin, end - begin);
        const auto block = x.middleRows(begin, end - begin);
        partial.mass += block_r.colwise().sum();
        partial.sums.noalias() += block_r.transpose() * block;
        if (diagonal) {
          partial.squares.noalias() += block_r.transpose() * block.array().square().matrix();
        }
      });

  GmmModel model;
  model.covariance = options.covariance;
  model.means.resize(components, dims);
  std::vector<bool> empty(static_cast<size_t>(components), false);
  std::vector<int64_t> empty_components;
  for (int64_t k = 0; k < components; ++k) {
    if (first.mass(k) < kMinComponentMass) {
      empty[static_cast<size_t>(k)] = true;
      empty_components.push_back(k);
    } else {
      model.means.row(k) = first.sums.row(k) / first.mass(k);
    }
  }
  *reseeded = !empty_components.empty();
  if (*reseeded) {
    // The worst-explained examples, worst first (lowest index on ties).
    std::vector<int64_t> order(static_cast<size_t>(examples));
    std::iota(order.begin(), order.end(), 0);
    const auto count = static_cast<std::ptrdiff_t>(empty_components.size());
    std::partial_sort(order.begin(), order.begin() + count, order.end(),
                      [&](int64_t a, int64_t b) {
                        return badness(a) > badness(b) || (badness(a) == badness(b) && a < b);
                      });
    for (size_t e = 0; e < empty_components.size(); ++e) {
      const int64_t k = empty_components[e];
      model.means.row(k) = x.row(order[e]);
      first.mass(k) = 1.0;
    }
  }

  std::vector<Eigen::MatrixXd> scatter;  // full models: sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T
  if (!diagonal) {
    scatter = ReduceRowBlocks(
        examples, kBlockRows,
        Scatter{std::vector<Eigen::MatrixXd>(static_cast<size_t>(components),
                                             Eigen::MatrixXd::Zero(dims, dims))},
        [&](int64_t begin, int64_t end, Scatter& partial) {
          const auto block = x.middleRows(begin, end - begin);
          for (int64_t k = 0; k < components; ++k) {
            if (empty[static_cast<size_t>(k)]) continue;
            const RowMatrixXd diff = block.rowwise() - model.means.row(k);
            const auto weights = responsibilities.col(k).segment(begin, end - begin);
            const RowMatrixXd weighted = diff.array().colwise() * weights.array();
            partial.full[static_cast<size_t>(k)].noalias() += weighted.transpose() * diff;
          }
        }).full;
  }

  model.weights = (first.mass / first.mass.sum()).transpose();
  model.variances.resize(components, dims);
  if (options.covariance == CovarianceType::kFull) {
    model.covariances.resize(static_cast<size_t>(components));
  }
  for (int64_t k = 0; k < components; ++k) {
    const auto index = static_cast<size_t>(k);
    if (diagonal) {
      if (empty[index]) {
        model.variances.row(k) = moments.variance;
      } else {
        model.variances.row(k) =
            (first.squares.row(k) / first.mass(k) - model.means.row(k).cwiseAbs2()).cwiseMax(0.0);
      }
      model.variances.row(k).array() += options.reg_covar;
    } else {
      Eigen::MatrixXd covariance;
      if (empty[index]) {
        covariance = moments.variance.transpose().asDiagonal();
      } else {
        covariance = scatter[index] / first.mass(k);
        covariance = 0.5 * (covariance + covariance.transpose()).eval();
      }
      covariance.diagonal().array() += options.reg_covar;
      model.variances.row(k) = covariance.diagonal().transpose();
      model.covariances[index] = std::move(covariance);
    }
    for (int64_t d = 0; d < dims; ++d) {
      const double variance = model.variances(k, d);
      if (!(variance > 0.0) || !std::isfinite(variance) || !model.means.row(k).allFinite()) {
        std::ostringstream message;
        message << "component " << k << " collapsed: the variance of feature " << d << " is "
                << variance << " (mass " << first.mass(k)
                << " examples); use reg_covar > 0 or remove constant features";
        throw pipeline::StageError(Fail(message.str()));
      }
    }
  }
  return model;
}

RowMatrixXd InitialResponsibilities(const RowMatrixXf& x_float, const GmmOptions& options,
                                    pipeline::Rng& rng) {
  const int64_t examples = x_float.rows();
  const int64_t components = options.components;
  RowMatrixXd responsibilities = RowMatrixXd::Zero(examples, components);
  if (options.init == GmmInit::kKMeans) {
    KMeansOptions kmeans;
    kmeans.clusters = components;
    const KMeansResult clusters = KMeans(x_float, kmeans, rng);
    for (int64_t i = 0; i < examples; ++i) {
      responsibilities(i, clusters.assignments[static_cast<size_t>(i)]) = 1.0;
    }
    return responsibilities;
  }
  for (int64_t i = 0; i < examples; ++i) {
    for (int64_t k = 0; k < components; ++k) responsibilities(i, k) = rng.Uniform();
    responsibilities.row(i) /= responsibilities.row(i).sum();
  }
  return responsibilities;
}

std::vector<int32_t> ArgMaxRows(const RowMatrixXd& responsibilities) {
  std::vector<int32_t> labels(static_cast<size_t>(responsibilities.rows()));
  for (Eigen::Index i = 0; i < responsibilities.rows(); ++i) {
    Eigen::Index best = 0;
    responsibilities.row(i).maxCoeff(&best);
    labels[static_cast<size_t>(i)] = static_cast<int32_t>(best);
  }
  return labels;
}

// EM from an initial model (iteration 0 is its E-step); `reseeded_at_init` records whether
// building that model re-seeded a component.
GmmResult RunEm(const RowMatrixXd& x, const DataMoments& moments, const GmmOptions& options,
                int64_t restart, GmmModel initial, bool reseeded_at_init,
                const GmmObserver& observer) {
  GmmResult result;
  result.model = std::move(initial);
  if (reseeded_at_init) result.reseed_iterations.push_back(0);
  RowMatrixXd responsibilities;
  Eigen::VectorXd badness;
  bool reseeded = false;
  Eigen::VectorXd log_likelihood;
  double nll = ExpectationStep(x, result.model, responsibilities, log_likelihood);
  result.nll_history.push_back(nll);
  if (observer) observer(restart, 0, nll);

  for (int64_t iteration = 1; iteration <= options.max_iterations; ++iteration) {
    badness = -log_likelihood;
    result.model = MaximizationStep(x, responsibilities, badness, moments, options, &reseeded);
    if (reseeded) result.reseed_iterations.push_back(iteration);
    const double previous = nll;
    nll = ExpectationStep(x, result.model, responsibilities, log_likelihood);
    result.nll_history.push_back(nll);
    result.iterations = iteration;
    if (observer) observer(restart, iteration, nll);
    const double change = std::abs(previous - nll);
    const bool small = options.convergence == GmmConvergence::kAbsolute
                           ? change < options.tolerance
                           : change <= options.tolerance * std::max(std::abs(previous), 1.0);
    if (!reseeded && small) {
      result.converged = true;
      break;
    }
  }
  result.assignments = ArgMaxRows(responsibilities);
  result.nll = nll;
  result.best_restart = restart;
  return result;
}

}  // namespace

CovarianceType ParseCovarianceType(const std::string& name) {
  if (name == "diag") return CovarianceType::kDiagonal;
  if (name == "full") return CovarianceType::kFull;
  throw pipeline::StageError(Fail("covariance '" + name + "' is not one of diag, full"));
}

GmmInit ParseGmmInit(const std::string& name) {
  if (name == "kmeans") return GmmInit::kKMeans;
  if (name == "random") return GmmInit::kRandom;
  throw pipeline::StageError(Fail("init '" + name + "' is not one of kmeans, random"));
}

GmmConvergence ParseGmmConvergence(const std::string& name) {
  if (name == "relative") return GmmConvergence::kRelative;
  if (name == "absolute") return GmmConvergence::kAbsolute;
  throw pipeline::StageError(Fail("convergence '" + name + "' is not one of relative, absolute"));
}

const char* CovarianceTypeName(CovarianceType type) {
  return type == CovarianceType::kDiagonal ? "diag" : "full";
}

int64_t GmmParameterCount(CovarianceType covariance, int64_t components, int64_t dims) {
  const int64_t per_covariance =
      covariance == CovarianceType::kDiagonal ? dims : dims * (dims + 1) / 2;
  return (components - 1) + components * dims + components * per_covariance;
}

namespace {

void CheckOptions(const GmmOptions& options, int64_t components, int64_t examples) {
  if (components < 1 || components > examples) {
    throw pipeline::StageError(Fail(std::to_string(components) + " components for " +
                                    std::to_string(examples) +
                                    " examples; components must be between 1 and the number of "
                                    "examples"));
  }
  if (options.restarts < 1) throw pipeline::StageError(Fail("n_init must be at least 1"));
  if (options.max_iterations < 0) throw pipeline::StageError(Fail("max_iter must be >= 0"));
  if (!(options.reg_covar >= 0.0)) throw pipeline::StageError(Fail("reg_covar must be >= 0"));
}

// The data in double, centred on its mean (see the implementation notes).
struct Centered {
  RowMatrixXd x;
  DataMoments moments;  // mean zero after centring; per-feature variances
  Eigen::RowVectorXd offset;
};

Centered Center(const Eigen::Ref<const RowMatrixXf>& x_in) {
  if (x_in.cols() < 1) throw pipeline::StageError(Fail("x has no features"));
  RowMatrixXd x = x_in.cast<double>();
  if (!x.allFinite()) {
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      for (Eigen::Index d = 0; d < x.cols(); ++d) {
        if (!std::isfinite(x(i, d))) {
          throw pipeline::StageError(Fail("x(" + std::to_string(i) + ", " + std::to_string(d) +
                                          ") is not finite; clean the data before fitting"));
        }
      }
    }
  }
  DataMoments moments = ComputeMoments(x);
  x.rowwise() -= moments.mean;
  const Eigen::RowVectorXd offset = moments.mean;
  moments.mean.setZero();
  return Centered{std::move(x), std::move(moments), offset};
}

// Fills the NLL-derived fields of the best run and shifts its means back.
void Finish(const Centered& data, const GmmOptions& options, GmmResult& best) {
  const int64_t examples = data.x.rows();
  best.model.means.rowwise() += data.offset;
  best.total_nll = best.nll * static_cast<double>(examples);
  best.parameters = GmmParameterCount(options.covariance, best.model.components(), data.x.cols());
  const auto parameters = static_cast<double>(best.parameters);
  best.aic = 2.0 * best.total_nll + 2.0 * parameters;
  best.bic = 2.0 * best.total_nll + parameters * std::log(static_cast<double>(examples));
}

}  // namespace

GmmResult FitGmm(const Eigen::Ref<const RowMatrixXf>& x_in, const GmmOptions& options,
                 const pipeline::Rng& rng, const GmmObserver& observer) {
  CheckOptions(options, options.components, x_in.rows());
  const RowMatrixXf x_float = x_in;
  const Centered data = Center(x_float);
  GmmResult best;
  for (int64_t restart = 0; restart < options.restarts; ++restart) {
    pipeline::Rng restart_rng = rng.Fork(static_cast<uint64_t>(restart));
    const RowMatrixXd responsibilities = InitialResponsibilities(x_float, options, restart_rng);
    // No model yet to rank the examples by: distance from the data mean stands in.
    const Eigen::VectorXd badness = data.x.rowwise().squaredNorm();
    bool reseeded = false;
    GmmModel initial =
        MaximizationStep(data.x, responsibilities, badness, data.moments, options, &reseeded);
    GmmResult result =
        RunEm(data.x, data.moments, options, restart, std::move(initial), reseeded, observer);
    if (restart == 0 || result.nll < best.nll) best = std::move(result);
  }
  Finish(data, options, best);
  return best;
}

GmmResult RefineGmm(const Eigen::Ref<const RowMatrixXf>& x_in, const GmmModel& initial,
                    const GmmOptions& options, const GmmObserver& observer) {
  const int64_t components = initial.components();
  CheckOptions(options, components, x_in.rows());
  const bool full = initial.covariance == CovarianceType::kFull;
  if (initial.dims() != x_in.cols() || initial.means.rows() != components ||
      initial.variances.rows() != components ||
      (full && initial.covariances.size() != static_cast<size_t>(components))) {
    throw pipeline::StageError(Fail("the initial model does not match " +
                                    std::to_string(components) + " components in " +
                                    std::to_string(x_in.cols()) + " dimensions"));
  }
  const Centered data = Center(x_in);
  GmmOptions refine_options = options;
  refine_options.covariance = initial.covariance;
  GmmModel model = initial;
  model.means.rowwise() -= data.offset;
  GmmResult result = RunEm(data.x, data.moments, refine_options, 0, std::move(model), false,
                           observer);
  Finish(data, refine_options, result);
  return result;
}

Eigen::VectorXd GmmLogDensity(const GmmModel& model, const Eigen::Ref<const RowMatrixXf>& x) {
  if (x.cols() != model.dims()) {
    throw pipeline::StageError(Fail("x has " + std::to_string(x.cols()) +
                                    " features but the model has " +
                                    std::to_string(model.dims())));
  }
  // Densities are translation invariant: shift the data and the means by the mixture's mean so
  // that the expanded diagonal form does not cancel for data far from the origin.
  const Eigen::RowVectorXd center = model.weights.transpose() * model.means;
  GmmModel shifted = model;
  shifted.means.rowwise() -= center;
  const ComponentTerms terms = PrepareTerms(shifted);
  Eigen::VectorXd log_density(x.rows());
  ForEachRowBlock(x.rows(), kBlockRows, [&](int64_t begin, int64_t end) {
    const RowMatrixXd block =
        x.middleRows(begin, end - begin).cast<double>().rowwise() - center;
    Eigen::MatrixXd weighted;
    WeightedLogDensities(block, shifted, terms, weighted);
    log_density.segment(begin, end - begin) = LogSumExpRows(weighted);
  });
  return log_density;
}

void SortComponentsByWeight(GmmResult& result) {
  GmmModel& model = result.model;
  const int64_t components = model.components();
  std::vector<int64_t> order(static_cast<size_t>(components));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return model.weights(a) < model.weights(b); });
  GmmModel sorted = model;
  std::vector<int32_t> new_index(static_cast<size_t>(components));
  for (int64_t position = 0; position < components; ++position) {
    const int64_t old = order[static_cast<size_t>(position)];
    new_index[static_cast<size_t>(old)] = static_cast<int32_t>(position);
    sorted.weights(position) = model.weights(old);
    sorted.means.row(position) = model.means.row(old);
    sorted.variances.row(position) = model.variances.row(old);
    if (!model.covariances.empty()) {
      sorted.covariances[static_cast<size_t>(position)] =
          model.covariances[static_cast<size_t>(old)];
    }
  }
  model = std::move(sorted);
  for (int32_t& label : result.assignments) label = new_index[static_cast<size_t>(label)];
}

}  // namespace stages
