#include "stages/cluster/kmeans_plus_plus.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "stages/cluster/squared_distance.h"
#include "stages/common/row_blocks.h"

namespace stages {
namespace {

constexpr int64_t kBlockRows = 1024;

// closest[i] = min(closest[i], ||x_i - center||^2), element-wise in parallel.
void UpdateClosest(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                   const Eigen::RowVectorXd& center, std::vector<double>& closest) {
  const int64_t dims = x.cols();
  ForEachRowBlock(x.rows(), kBlockRows, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const double distance = SquaredDistance(x.row(i).data(), center.data(), dims);
      double& best = closest[static_cast<size_t>(i)];
      best = std::min(best, distance);
    }
  });
}

// `count` indices, each drawn with probability weights[i] / sum(weights) (uniform if all weights
// are 0), in draw order. The sum is taken once and one scan serves every draw: the running total
// grows in the same order as it would for each draw alone, so each draw stops where its own
// scan would have, and the random numbers are used in the same order. (Two sequential passes of
// 60,000 dependent additions per draw were a quarter of greedy k-means++'s time.)
std::vector<int64_t> DrawWeighted(const std::vector<double>& weights, int64_t count,
                                  pipeline::Rng& rng) {
  double total = 0.0;
  for (double w : weights) total += w;
  std::vector<int64_t> picks(static_cast<size_t>(count), 0);
  if (!(total > 0.0)) {
    for (int64_t& pick : picks) pick = static_cast<int64_t>(rng.UniformInt(weights.size()));
    return picks;
  }
  std::vector<std::pair<double, size_t>> targets;  // (target, draw), by target
  for (size_t k = 0; k < picks.size(); ++k) targets.emplace_back(rng.Uniform() * total, k);
  std::sort(targets.begin(), targets.end());
  double running = 0.0;
  int64_t last_positive = 0;
  size_t next = 0;
  for (size_t i = 0; i < weights.size() && next < targets.size(); ++i) {
    if (weights[i] <= 0.0) continue;
    running += weights[i];
    last_positive = static_cast<int64_t>(i);
    for (; next < targets.size() && running > targets[next].first; ++next) {
      picks[targets[next].second] = last_positive;
    }
  }
  for (; next < targets.size(); ++next) {  // targets rounded up to total
    picks[targets[next].second] = last_positive;
  }
  return picks;
}

// potentials[t] = sum_i min(closest_i, ||x_i - candidates_t||^2), the potential if candidate t
// became a centre: all candidates in one pass over the data, which is read once, not once each.
Eigen::VectorXd Potentials(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                           const pipeline::RowMatrixXd& candidates,
                           const std::vector<double>& closest) {
  const int64_t dims = x.cols();
  const Eigen::Index count = candidates.rows();
  return ReduceRowBlocks(
      x.rows(), kBlockRows, Eigen::VectorXd::Zero(count).eval(),
      [&](int64_t begin, int64_t end, Eigen::VectorXd& sums) {
        std::vector<double> point(static_cast<size_t>(dims));
        for (int64_t i = begin; i < end; ++i) {
          Widen(x.row(i).data(), dims, point.data());
          const double nearest = closest[static_cast<size_t>(i)];
          for (Eigen::Index t = 0; t < count; ++t) {
            sums[t] += std::min(nearest, SquaredDistance(point.data(), candidates.row(t).data(), dims));
          }
        }
      });
}

}  // namespace

int64_t DefaultLocalTrials(int64_t clusters) {
  return 2 + static_cast<int64_t>(std::log(static_cast<double>(std::max<int64_t>(clusters, 1))));
}

pipeline::RowMatrixXd SeedKMeansPlusPlus(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                                         int64_t clusters, pipeline::Rng& rng,
                                         int64_t local_trials) {
  const int64_t examples = x.rows();
  const int64_t trials = local_trials > 0 ? local_trials : DefaultLocalTrials(clusters);
  pipeline::RowMatrixXd centers(clusters, x.cols());
  std::vector<double> closest(static_cast<size_t>(examples),
                              std::numeric_limits<double>::infinity());
  int64_t pick = static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(examples)));
  for (int64_t c = 0; c < clusters; ++c) {
    if (c > 0) {
      // Greedy: of `trials` candidates drawn by D^2, keep the one that lowers the potential
      // most (the first on ties); all are drawn before any is scored.
      const std::vector<int64_t> candidates = DrawWeighted(closest, std::max<int64_t>(trials, 1), rng);
      pick = candidates[0];
      if (trials > 1) {
        pipeline::RowMatrixXd points(trials, x.cols());
        for (int64_t t = 0; t < trials; ++t) {
          points.row(t) = x.row(candidates[static_cast<size_t>(t)]).cast<double>();
        }
        const Eigen::VectorXd potentials = Potentials(x, points, closest);
        Eigen::Index best = 0;
        for (Eigen::Index t = 1; t < trials; ++t) {
          if (potentials[t] < potentials[best]) best = t;
        }
        pick = candidates[static_cast<size_t>(best)];
      }
    }
    centers.row(c) = x.row(pick).cast<double>();
    if (c + 1 == clusters) break;
    UpdateClosest(x, centers.row(c), closest);
  }
  return centers;
}

}  // namespace stages
