#pragma once
// The Gaussian-mixture Bayes classifier of S7: one Gaussian mixture (stages/cluster/gmm.h) per
// class fitted to that class's training examples, and the prediction
//   argmax_c  log P(c) + log p(x | c),
// with P(c) the class's share of the training set (Bishop, "Pattern Recognition and Machine
// Learning", 2006, sections 4.2 and 9.2: a generative classifier with mixture class densities).
//
// Determinism: class j (the j-th smallest label) fits from rng.Fork(j). Classes are fitted in
// parallel (tbb::parallel_for in the caller's arena) and every fit is thread-count independent,
// so the model is identical for any number of threads.
// Thread-safe: no shared state.

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "pipeline/rng.h"
#include "pipeline/tensor.h"
#include "stages/cluster/gmm.h"

namespace stages {

struct GmmBayesModel {
  std::vector<int32_t> classes;  // distinct training labels, increasing
  Eigen::VectorXd log_priors;    // [C] log(n_c / N)
  std::vector<GmmModel> densities;  // [C] p(x | c)
  // Per class: the fit's final mean NLL on its own examples, iterations and convergence.
  std::vector<double> train_nll;
  std::vector<int64_t> iterations;
  std::vector<bool> converged;
};

// Fits one mixture per class with `options` (options.components components each). Throws
// pipeline::StageError when the lengths differ, x is empty, or a class has fewer examples than
// components; a failing class fit is rethrown with the class named.
GmmBayesModel FitGmmBayes(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                          const std::vector<int32_t>& labels, const GmmOptions& options,
                          const pipeline::Rng& rng, const GmmObserver& observer = {});

// Log posterior log P(c | x_i) for each row and class: [N, C], columns in model.classes order;
// each row's exponentials sum to 1.
pipeline::RowMatrixXd GmmBayesLogPosterior(const GmmBayesModel& model,
                                           const Eigen::Ref<const pipeline::RowMatrixXf>& x);

// The label with the highest log posterior per row (the smaller label on ties).
std::vector<int32_t> GmmBayesPredict(const GmmBayesModel& model,
                                     const pipeline::RowMatrixXd& log_posterior);

}  // namespace stages
