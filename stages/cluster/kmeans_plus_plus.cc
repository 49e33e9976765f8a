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
    std::vector<double> point(static_cast<size_t>(dims));
    for (int64_t i = begin; i < end; ++i) {
      Widen(x.row(i).data(), dims, point.data());
      const double distance = SquaredDistance(point.data(), center.data(), dims);
      double& best = closest[static_cast<size_t>(i)];
      best = std::min(best, distance);
    }
  });
}

// Index drawn with probability weights[i] / sum(weights); uniform if all weights are 0.
int64_t DrawWeighted(const std::vector<double>& weights, pipeline::Rng& rng) {
  // The sum and the scan below add in the same order, so the scan's running total reaches
  // exactly `total`; a sequential O(N) pass per centre is cheap next to the distance updates.
  double total = 0.0;
  for (double w : weights) total += w;
  if (!(total > 0.0)) return static_cast<int64_t>(rng.UniformInt(weights.size()));
  const double target = rng.Uniform() * total;
  double running = 0.0;
  int64_t last_positive = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0.0) continue;
    running += weights[i];
    last_positive = static_cast<int64_t>(i);
    if (running > target) return last_positive;
  }
  return last_positive;  // target rounded up to total
}

// distances[i] = ||x_i - candidate||^2; returns sum_i min(closest_i, distances[i]), the
// potential if `candidate` became a centre.
double Potential(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                 const Eigen::RowVectorXd& candidate, const std::vector<double>& closest,
                 std::vector<double>& distances) {
  distances.resize(closest.size());
  const int64_t dims = x.cols();
  return ReduceRowBlocks(x.rows(), kBlockRows, 0.0, [&](int64_t begin, int64_t end, double& sum) {
    std::vector<double> point(static_cast<size_t>(dims));
    for (int64_t i = begin; i < end; ++i) {
      Widen(x.row(i).data(), dims, point.data());
      const double distance = SquaredDistance(point.data(), candidate.data(), dims);
      distances[static_cast<size_t>(i)] = distance;
      sum += std::min(closest[static_cast<size_t>(i)], distance);
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
  std::vector<double> candidate_distances, best_distances;  // greedy: per-candidate scratch
  int64_t pick = static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(examples)));
  for (int64_t c = 0; c < clusters; ++c) {
    if (c > 0) {
      pick = DrawWeighted(closest, rng);
      if (trials > 1) {
        // Greedy: of `trials` candidates drawn by D^2, keep the one that lowers the potential
        // most (the first on ties); all are drawn before any is scored.
        std::vector<int64_t> candidates = {pick};
        for (int64_t t = 1; t < trials; ++t) candidates.push_back(DrawWeighted(closest, rng));
        double best = std::numeric_limits<double>::infinity();
        for (int64_t candidate : candidates) {
          const double potential =
              Potential(x, x.row(candidate).cast<double>(), closest, candidate_distances);
          if (potential < best) {
            best = potential;
            pick = candidate;
            best_distances.swap(candidate_distances);
          }
        }
      }
    }
    centers.row(c) = x.row(pick).cast<double>();
    if (c + 1 == clusters) break;
    if (c > 0 && trials > 1) {
      // The chosen candidate's distances were computed while it was scored.
      for (size_t i = 0; i < closest.size(); ++i) closest[i] = std::min(closest[i], best_distances[i]);
    } else {
      UpdateClosest(x, centers.row(c), closest);
    }
  }
  return centers;
}

}  // namespace stages
