#include "stages/evaluate/gmm_bayes.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "pipeline/errors.h"

namespace stages {

GmmBayesModel FitGmmBayes(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                          const std::vector<int32_t>& labels, const GmmOptions& options,
                          const pipeline::Rng& rng, const GmmObserver& observer) {
  if (x.rows() == 0 || static_cast<size_t>(x.rows()) != labels.size()) {
    throw pipeline::StageError("gmm_bayes: " + std::to_string(x.rows()) + " training examples and " +
                               std::to_string(labels.size()) +
                               " labels; both must be the same, non-zero number");
  }
  GmmBayesModel model;
  model.classes = labels;
  std::sort(model.classes.begin(), model.classes.end());
  model.classes.erase(std::unique(model.classes.begin(), model.classes.end()),
                      model.classes.end());
  const size_t classes = model.classes.size();

  std::vector<std::vector<int64_t>> rows(classes);
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto c = static_cast<size_t>(
        std::lower_bound(model.classes.begin(), model.classes.end(), labels[i]) -
        model.classes.begin());
    rows[c].push_back(static_cast<int64_t>(i));
  }
  model.log_priors.resize(static_cast<Eigen::Index>(classes));
  for (size_t c = 0; c < classes; ++c) {
    const auto count = static_cast<int64_t>(rows[c].size());
    if (count < options.components) {
      throw pipeline::StageError("gmm_bayes: class " + std::to_string(model.classes[c]) +
                                 " has " + std::to_string(count) +
                                 " training examples, fewer than components = " +
                                 std::to_string(options.components));
    }
    model.log_priors(static_cast<Eigen::Index>(c)) =
        std::log(static_cast<double>(count) / static_cast<double>(labels.size()));
  }

  std::vector<GmmResult> fits(classes);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, classes, 1),
                    [&](const tbb::blocked_range<size_t>& range) {
    for (size_t c = range.begin(); c < range.end(); ++c) {
      pipeline::RowMatrixXf class_x(static_cast<Eigen::Index>(rows[c].size()), x.cols());
      for (size_t r = 0; r < rows[c].size(); ++r) {
        class_x.row(static_cast<Eigen::Index>(r)) = x.row(rows[c][r]);
      }
      try {
        fits[c] = FitGmm(class_x, options, rng.Fork(c), observer);
      } catch (const pipeline::StageError& error) {
        throw pipeline::StageError("gmm_bayes: class " + std::to_string(model.classes[c]) +
                                   ": " + error.what());
      }
    }
  });
  for (GmmResult& fit : fits) {
    model.train_nll.push_back(fit.nll);
    model.iterations.push_back(fit.iterations);
    model.converged.push_back(fit.converged);
    model.densities.push_back(std::move(fit.model));
  }
  return model;
}

pipeline::RowMatrixXd GmmBayesLogPosterior(const GmmBayesModel& model,
                                           const Eigen::Ref<const pipeline::RowMatrixXf>& x) {
  const auto classes = static_cast<Eigen::Index>(model.classes.size());
  Eigen::MatrixXd joint(x.rows(), classes);  // log P(c) + log p(x | c)
  for (Eigen::Index c = 0; c < classes; ++c) {
    joint.col(c) = GmmLogDensity(model.densities[static_cast<size_t>(c)], x).array() +
                   model.log_priors(c);
  }
  // Normalise with log-sum-exp over classes (the row maximum taken out first).
  const Eigen::VectorXd peak = joint.rowwise().maxCoeff();
  const Eigen::VectorXd evidence =
      peak.array() + (joint.colwise() - peak).array().exp().rowwise().sum().log();
  pipeline::RowMatrixXd posterior = joint.colwise() - evidence;
  if (!posterior.allFinite()) {
    for (Eigen::Index i = 0; i < posterior.rows(); ++i) {
      if (!posterior.row(i).allFinite()) {
        throw pipeline::StageError("gmm_bayes: the class densities of example " +
                                   std::to_string(i) +
                                   " are not finite; standardise the features");
      }
    }
  }
  return posterior;
}

std::vector<int32_t> GmmBayesPredict(const GmmBayesModel& model,
                                     const pipeline::RowMatrixXd& log_posterior) {
  std::vector<int32_t> predictions(static_cast<size_t>(log_posterior.rows()));
  for (Eigen::Index i = 0; i < log_posterior.rows(); ++i) {
    Eigen::Index best = 0;
    log_posterior.row(i).maxCoeff(&best);
    predictions[static_cast<size_t>(i)] = model.classes[static_cast<size_t>(best)];
  }
  return predictions;
}

}  // namespace stages
