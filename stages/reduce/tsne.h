#pragma once
// Barnes-Hut t-SNE (van der Maaten and Hinton, "Visualizing data using t-SNE", JMLR 9, 2008;
// van der Maaten, "Accelerating t-SNE using tree-based algorithms", JMLR 15, 2014), with the
// optimisation schedule of the reference implementation and scikit-learn (>= 1.2):
//   - affinities from the k = 3 * perplexity nearest neighbours (tsne_affinities.h);
//   - gradient descent for `iterations` steps; the first `exaggeration_iterations` multiply P by
//     `early_exaggeration` and use momentum 0.5, the rest use momentum 0.8; update and gains
//     are reset when the phase changes (scikit-learn runs the phases as two descents);
//   - per-coordinate gains (delta-bar-delta, Jacobs 1988): +0.2 where the gradient's sign
//     differs from the last update's, x0.8 where it agrees, never below `min_gain`;
//   - learning rate "auto" (learning_rate <= 0): max(N / early_exaggeration / 4, 50);
//   - init kPca: the first `dims` principal components scaled so that the first coordinate has
//     standard deviation 1e-4 (population std); kRandom: N(0, 1e-4^2) per coordinate, point i
//     drawn from rng.Fork(i).
// The kernel is the Student t with one degree of freedom for 2-D and 3-D alike (as the
// reference implementation; scikit-learn uses dims - 1 degrees of freedom).
// Unlike scikit-learn there is no early stop on a small gradient or a stalled error: exactly
// `iterations` steps run, so an iterations sweep (S5) gives nested, comparable runs.
//
// KL divergence is evaluated (tsne_gradient.h: the Barnes-Hut approximation normalised by the
// same Z as the gradient, with the un-exaggerated P) at iterations 50, 100, ... and at the last
// iteration, from the gradient evaluation of that iteration (before its update), as
// scikit-learn does.
//
// Deterministic for a given rng seed and any thread count. Thread-safe: no shared state;
// parallel loops run in the caller's task arena.

#include <cstdint>
#include <functional>
#include <vector>

#include "pipeline/rng.h"
#include "pipeline/tensor.h"

namespace stages {

enum class TsneInit { kPca, kRandom };

struct TsneOptions {
  int dims = 2;                      // 2 or 3
  double perplexity = 30;            // effective number of neighbours, in (1, N - 1]
  double learning_rate = 0;          // <= 0: auto
  int64_t iterations = 1000;         // total, including the exaggeration phase
  double theta = 0.5;                // Barnes-Hut accuracy; 0 = exact O(N^2) repulsion
  double early_exaggeration = 12;
  int64_t exaggeration_iterations = 250;
  double initial_momentum = 0.5;
  double final_momentum = 0.8;
  double min_gain = 0.01;
  int64_t kl_every = 50;             // KL evaluation period in iterations
  TsneInit init = TsneInit::kPca;
};

struct TsneCallbacks {
  // Called at the start of every iteration (0-based); may throw to abort (cancellation).
  std::function<void(int64_t iteration)> on_iteration;
  // Called with the 1-based iteration number and the KL divergence at each evaluation.
  std::function<void(int64_t iteration, double kl_divergence)> on_kl;
};

struct TsneResult {
  pipeline::RowMatrixXd embedding;  // [N, dims]
  double kl_divergence = 0;         // at the last evaluation (the last iteration)
  double learning_rate = 0;         // the rate used (resolves "auto")
};

// The learning rate for N points: `requested` if > 0, else max(N / early_exaggeration / 4, 50).
double TsneLearningRate(double requested, int64_t points, double early_exaggeration);

// The initial embedding (see TsneInit).
pipeline::RowMatrixXd TsneInitialEmbedding(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                                           int dims, TsneInit init, const pipeline::Rng& rng);

// Embeds the rows of x. Throws pipeline::StageError on bad options (dims, perplexity too large
// for N, fewer than 2 points).
TsneResult RunTsne(const Eigen::Ref<const pipeline::RowMatrixXf>& x, const TsneOptions& options,
                   const pipeline::Rng& rng, const TsneCallbacks& callbacks = {});

}  // namespace stages
