#include "stages/reduce/tsne.h"

// Implementation notes
// - The descent mirrors scikit-learn's _gradient_descent line by line (gains, then
//   update = momentum * update - rate * gains * grad, then y += update), so run-to-run
//   comparisons with it are about the gradient approximation, not the optimiser.
// - Coordinates are kept in double: N * dims values are cheap, and float32 positions would make
//   the theta = 0 gradient differ from the exact one by more than rounding.
// - The per-coordinate update loop is serial; it is O(N dims), negligible next to the gradient.

#include <algorithm>
#include <cmath>
#include <string>

#include "pipeline/errors.h"
#include "stages/reduce/pca.h"
#include "stages/reduce/tsne_affinities.h"
#include "stages/reduce/tsne_gradient.h"

namespace stages {
namespace {

constexpr double kInitialScale = 1e-4;
constexpr double kMinAutoLearningRate = 50;

void CheckOptions(const TsneOptions& options, int64_t points) {
  if (options.dims != 2 && options.dims != 3) {
    throw pipeline::StageError("tsne: dims must be 2 or 3, got " + std::to_string(options.dims));
  }
  if (points < 2) {
    throw pipeline::StageError("tsne: needs at least 2 points, got " + std::to_string(points));
  }
  if (options.theta < 0) {
    throw pipeline::StageError("tsne: theta must be >= 0, got " + std::to_string(options.theta));
  }
}

}  // namespace

double TsneLearningRate(double requested, int64_t points, double early_exaggeration) {
  if (requested > 0) return requested;
  return std::max(static_cast<double>(points) / early_exaggeration / 4, kMinAutoLearningRate);
}

pipeline::RowMatrixXd TsneInitialEmbedding(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                                           int dims, TsneInit init, const pipeline::Rng& rng) {
  const Eigen::Index n = x.rows();
  pipeline::RowMatrixXd y(n, dims);
  if (init == TsneInit::kRandom) {
    for (Eigen::Index i = 0; i < n; ++i) {
      pipeline::Rng point_rng = rng.Fork(static_cast<uint64_t>(i));
      for (int a = 0; a < dims; ++a) y(i, a) = kInitialScale * point_rng.Normal();
    }
    return y;
  }
  if (x.cols() < dims) {
    throw pipeline::StageError("tsne: PCA initialisation needs at least dims = " +
                               std::to_string(dims) + " features, got " +
                               std::to_string(x.cols()) + "; use init: random");
  }
  const PcaModel model = FitPca(x, dims);
  y = PcaTransform(model, x, /*whiten=*/false).cast<double>();
  const double mean = y.col(0).mean();
  const double std_dev = std::sqrt((y.col(0).array() - mean).square().mean());
  if (std_dev > 0) y *= kInitialScale / std_dev;
  return y;
}

TsneResult RunTsne(const Eigen::Ref<const pipeline::RowMatrixXf>& x, const TsneOptions& options,
                   const pipeline::Rng& rng, const TsneCallbacks& callbacks) {
  const int64_t n = x.rows();
  CheckOptions(options, n);
  const SparseAffinities p = ComputeTsneAffinities(x, options.perplexity);

  TsneResult result;
  result.learning_rate = TsneLearningRate(options.learning_rate, n, options.early_exaggeration);
  pipeline::RowMatrixXd y = TsneInitialEmbedding(x, options.dims, options.init, rng);
  pipeline::RowMatrixXd gradient(n, options.dims);
  pipeline::RowMatrixXd update = pipeline::RowMatrixXd::Zero(n, options.dims);
  pipeline::RowMatrixXd gains = pipeline::RowMatrixXd::Ones(n, options.dims);

  for (int64_t iteration = 0; iteration < options.iterations; ++iteration) {
    if (callbacks.on_iteration) callbacks.on_iteration(iteration);
    const bool exaggerating = iteration < options.exaggeration_iterations;
    if (iteration == options.exaggeration_iterations) {
      update.setZero();
      gains.setOnes();
    }
    const bool report = (iteration + 1) % options.kl_every == 0 ||
                        iteration + 1 == options.iterations;
    const TsneGradientResult step =
        TsneGradient(p, y, options.theta, exaggerating ? options.early_exaggeration : 1.0,
                     report, &gradient);
    const double momentum = exaggerating ? options.initial_momentum : options.final_momentum;
    for (Eigen::Index e = 0; e < y.size(); ++e) {
      double& gain = gains.data()[e];
      const double g = gradient.data()[e];
      double& u = update.data()[e];
      gain = (u * g < 0) ? gain + 0.2 : gain * 0.8;
      gain = std::max(gain, options.min_gain);
      u = momentum * u - result.learning_rate * gain * g;
      y.data()[e] += u;
    }
    if (report) {
      result.kl_divergence = step.kl_divergence;
      if (callbacks.on_kl) callbacks.on_kl(iteration + 1, step.kl_divergence);
    }
  }
  result.embedding = std::move(y);
  return result;
}

}  // namespace stages
