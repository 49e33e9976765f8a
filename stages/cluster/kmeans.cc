#include "stages/cluster/kmeans.h"

// Implementation notes
// - Centres are kept in double; each block of rows is converted to double once per pass. The
//   expansion ||x||^2 - 2 x.c + ||c||^2 only ranks the centres (||x||^2 is dropped, it is the
//   same for every centre of a row); the chosen centre's distance is then recomputed as
//   ||x - c||^2 directly, because the expansion cancels badly when ||x|| is large compared with
//   ||x - c|| and the inertia must be exact enough to be monotone.
// - The inertia sum, the per-cluster sums and the data variance are reduced over fixed row
//   blocks (stages/common/row_blocks.h), so every number is thread-count independent.
// - Empty clusters: the centre moves onto the example farthest from its assigned centre, and
//   that example leaves its old cluster, whose mean is recomputed without it (scikit-learn's
//   relocation rule). Moving a point to a centre placed on it lowers its cost to 0, and a
//   mean is the cheapest centre for its members, so the inertia cannot increase.

#include <string>
#include <utility>

#include "pipeline/errors.h"
#include "stages/cluster/kmeans_plus_plus.h"
#include "stages/common/row_blocks.h"

namespace stages {
namespace {

constexpr int64_t kBlockRows = 512;

using RowMatrixXf = pipeline::RowMatrixXf;
using RowMatrixXd = pipeline::RowMatrixXd;
using DataRef = Eigen::Ref<const RowMatrixXf>;

struct Assignment {
  std::vector<int32_t> labels;    // nearest centre per example
  std::vector<double> distances;  // squared distance to that centre
  double inertia = 0.0;
};

// Assigns every example to its nearest centre (lowest index on ties).
void Assign(const DataRef& x, const RowMatrixXd& centers, Assignment& out) {
  const int64_t examples = x.rows();
  const Eigen::RowVectorXd center_norms = centers.rowwise().squaredNorm().transpose();
  out.labels.resize(static_cast<size_t>(examples));
  out.distances.resize(static_cast<size_t>(examples));
  out.inertia =
      ReduceRowBlocks(examples, kBlockRows, 0.0, [&](int64_t begin, int64_t end, double& partial) {
        const Eigen::MatrixXd block = x.middleRows(begin, end - begin).cast<double>();
        const Eigen::MatrixXd scores =
            (-2.0 * block * centers.transpose()).rowwise() + center_norms;
        for (Eigen::Index r = 0; r < block.rows(); ++r) {
          Eigen::Index best = 0;
          for (Eigen::Index c = 1; c < scores.cols(); ++c) {
            if (scores(r, c) < scores(r, best)) best = c;
          }
          const double distance = (block.row(r) - centers.row(best)).squaredNorm();
          const auto i = static_cast<size_t>(begin + r);
          out.labels[i] = static_cast<int32_t>(best);
          out.distances[i] = distance;
          partial += distance;
        }
      });
}

struct ClusterSums {
  RowMatrixXd sums;             // [k, D]
  std::vector<int64_t> counts;  // [k]

  ClusterSums& operator+=(const ClusterSums& other) {
    sums += other.sums;
    for (size_t c = 0; c < counts.size(); ++c) counts[c] += other.counts[c];
    return *this;
  }
};

// Moves each empty cluster onto the farthest example of a cluster that can spare one.
void ReseedEmptyClusters(const DataRef& x, const Assignment& assignment, ClusterSums& totals) {
  std::vector<double> distances = assignment.distances;  // -1 marks an example already moved
  for (size_t empty = 0; empty < totals.counts.size(); ++empty) {
    if (totals.counts[empty] != 0) continue;
    int64_t farthest = -1;
    for (size_t i = 0; i < distances.size(); ++i) {
      const auto owner = static_cast<size_t>(assignment.labels[i]);
      if (distances[i] < 0 || totals.counts[owner] < 2) continue;
      if (farthest < 0 || distances[i] > distances[static_cast<size_t>(farthest)]) {
        farthest = static_cast<int64_t>(i);
      }
    }
    if (farthest < 0) return;  // every cluster is down to one example: nothing to take
    const auto owner = static_cast<Eigen::Index>(assignment.labels[static_cast<size_t>(farthest)]);
    const Eigen::RowVectorXd point = x.row(farthest).cast<double>();
    totals.sums.row(owner) -= point;
    totals.counts[static_cast<size_t>(owner)] -= 1;
    totals.sums.row(static_cast<Eigen::Index>(empty)) = point;
    totals.counts[empty] = 1;
    distances[static_cast<size_t>(farthest)] = -1.0;
  }
}

// Lloyd's update: each centre becomes the mean of its examples.
RowMatrixXd UpdateCenters(const DataRef& x, const Assignment& assignment,
                          const RowMatrixXd& old_centers) {
  const Eigen::Index clusters = old_centers.rows();
  const ClusterSums zero{RowMatrixXd::Zero(clusters, x.cols()),
                         std::vector<int64_t>(static_cast<size_t>(clusters), 0)};
  ClusterSums totals = ReduceRowBlocks(
      x.rows(), kBlockRows, zero, [&](int64_t begin, int64_t end, ClusterSums& partial) {
        for (int64_t i = begin; i < end; ++i) {
          const int32_t label = assignment.labels[static_cast<size_t>(i)];
          partial.sums.row(label) += x.row(i).cast<double>();
          partial.counts[static_cast<size_t>(label)] += 1;
        }
      });
  ReseedEmptyClusters(x, assignment, totals);

  RowMatrixXd centers = old_centers;
  for (Eigen::Index c = 0; c < clusters; ++c) {
    const int64_t count = totals.counts[static_cast<size_t>(c)];
    if (count > 0) centers.row(c) = totals.sums.row(c) / static_cast<double>(count);
  }
  return centers;
}

// Mean over features of the per-feature variance; scales the convergence tolerance.
double MeanFeatureVariance(const DataRef& x) {
  const int64_t examples = x.rows();
  const Eigen::RowVectorXd mean =
      ReduceRowBlocks(examples, kBlockRows, Eigen::RowVectorXd::Zero(x.cols()).eval(),
                      [&](int64_t begin, int64_t end, Eigen::RowVectorXd& partial) {
                        partial += x.middleRows(begin, end - begin).cast<double>().colwise().sum();
                      }) /
      static_cast<double>(examples);
  const double squares =
      ReduceRowBlocks(examples, kBlockRows, 0.0, [&](int64_t begin, int64_t end, double& partial) {
        partial += (x.middleRows(begin, end - begin).cast<double>().rowwise() - mean).squaredNorm();
      });
  return squares / static_cast<double>(examples * x.cols());
}

KMeansResult RunLloyd(const DataRef& x, RowMatrixXd centers, int64_t max_iterations,
                      double shift_tolerance, int64_t restart, const KMeansObserver& observer) {
  KMeansResult result;
  Assignment assignment;
  Assign(x, centers, assignment);
  result.inertia_history.push_back(assignment.inertia);
  if (observer) observer(restart, 0, assignment.inertia);

  for (int64_t iteration = 1; iteration <= max_iterations; ++iteration) {
    RowMatrixXd updated = UpdateCenters(x, assignment, centers);
    const double shift = (updated - centers).squaredNorm();
    centers = std::move(updated);
    std::vector<int32_t> previous_labels = std::move(assignment.labels);
    Assign(x, centers, assignment);
    result.inertia_history.push_back(assignment.inertia);
    result.iterations = iteration;
    if (observer) observer(restart, iteration, assignment.inertia);
    if (assignment.labels == previous_labels || shift <= shift_tolerance) {
      result.converged = true;
      break;
    }
  }
  result.centers = centers.cast<float>();
  result.assignments = std::move(assignment.labels);
  result.inertia = assignment.inertia;
  result.best_restart = restart;
  return result;
}

}  // namespace

KMeansResult KMeans(const DataRef& x, const KMeansOptions& options, const pipeline::Rng& rng,
                    const KMeansObserver& observer) {
  if (options.clusters < 1 || options.clusters > x.rows()) {
    throw pipeline::StageError("kmeans: k = " + std::to_string(options.clusters) +
                               " clusters for " + std::to_string(x.rows()) +
                               " examples; k must be between 1 and the number of examples");
  }
  if (options.restarts < 1) {
    throw pipeline::StageError("kmeans: n_init = " + std::to_string(options.restarts) +
                               "; at least one restart is needed");
  }
  const double shift_tolerance = options.tolerance * MeanFeatureVariance(x);
  KMeansResult best;
  for (int64_t restart = 0; restart < options.restarts; ++restart) {
    pipeline::Rng restart_rng = rng.Fork(static_cast<uint64_t>(restart));
    KMeansResult result = RunLloyd(x, SeedKMeansPlusPlus(x, options.clusters, restart_rng),
                                   options.max_iterations, shift_tolerance, restart, observer);
    if (restart == 0 || result.inertia < best.inertia) best = std::move(result);
  }
  return best;
}

KMeansResult RefineKMeans(const DataRef& x, const RowMatrixXd& initial_centers,
                          const KMeansOptions& options, const KMeansObserver& observer) {
  if (initial_centers.rows() < 1 || initial_centers.cols() != x.cols()) {
    throw pipeline::StageError("kmeans: initial centres are " +
                               std::to_string(initial_centers.rows()) + " x " +
                               std::to_string(initial_centers.cols()) + " but the data has " +
                               std::to_string(x.cols()) + " features");
  }
  return RunLloyd(x, initial_centers, options.max_iterations,
                  options.tolerance * MeanFeatureVariance(x), 0, observer);
}

}  // namespace stages
