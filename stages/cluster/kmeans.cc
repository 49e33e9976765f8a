#include "stages/cluster/kmeans.h"

// Implementation notes
// - One pass over the data per iteration: each fixed block of rows computes its nearest centres
//   and, in the same sweep, the per-cluster sums and counts the next update needs (as in
//   scikit-learn's lloyd_iter_chunked_dense), so the data is read once, not twice.
// - Ranking uses ||c||^2 - 2 x.c (||x||^2 is the same for every centre of a row) with x.c from
//   a float GEMM of the block with the centres: the data is float already, and float halves the
//   cost. A float score can misorder two centres whose scores differ by less than its rounding
//   error, bounded by (D + 2) 2^-23 (||x||^2 + max ||c||^2) (the dot-product bound gamma_D of
//   Higham, "Accuracy and Stability of Numerical Algorithms", 2002, sec. 3.1, doubled for the
//   difference). A row whose best two scores are that close is re-ranked with exact double
//   distances, so every example really goes to its nearest centre (lowest index on ties) --
//   which the monotone inertia needs.
// - The chosen centre's distance is recomputed as ||x - c||^2 in double: the expansion cancels
//   badly when ||x|| is large compared with ||x - c||, and the inertia must be exact enough to
//   be monotone.
// - The inertia, the per-cluster sums and the data variance are reduced over fixed row blocks
//   (stages/common/row_blocks.h), so every number is thread-count independent.
// - Empty clusters: the centre moves onto the example farthest from its assigned centre, and
//   that example leaves its old cluster, whose mean is recomputed without it (scikit-learn's
//   relocation rule). Moving a point to a centre placed on it lowers its cost to 0, and a
//   mean is the cheapest centre for its members, so the inertia cannot increase.
// - The label, distance and sum buffers live across iterations; an iteration allocates only
//   per-block scratch.

#include <algorithm>
#include <cmath>
#include <limits>
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

struct ClusterSums {
  RowMatrixXd sums;             // [k, D]
  std::vector<int64_t> counts;  // [k]
  double inertia = 0.0;

  ClusterSums& operator+=(const ClusterSums& other) {
    sums += other.sums;
    for (size_t c = 0; c < counts.size(); ++c) counts[c] += other.counts[c];
    inertia += other.inertia;
    return *this;
  }
};

struct Assignment {
  std::vector<int32_t> labels;    // nearest centre per example
  std::vector<double> distances;  // squared distance to that centre
  ClusterSums totals;             // sums and counts per cluster, and the inertia
};

// Assigns every example to its nearest centre (lowest index on ties) and sums the clusters.
void Assign(const DataRef& x, const RowMatrixXd& centers, Assignment& out) {
  const int64_t examples = x.rows();
  const Eigen::Index clusters = centers.rows();
  const Eigen::Index dims = x.cols();
  const RowMatrixXf centers_f = centers.cast<float>();
  const Eigen::VectorXf center_norms = centers.rowwise().squaredNorm().cast<float>();
  const double largest_center_norm = static_cast<double>(center_norms.maxCoeff());
  // Twice the bound of the notes above, since ||x||^2 below is itself an estimate.
  const double slack = static_cast<double>(dims + 2) * std::ldexp(1.0, -22);
  out.labels.resize(static_cast<size_t>(examples));
  out.distances.resize(static_cast<size_t>(examples));
  const ClusterSums zero{RowMatrixXd::Zero(clusters, dims),
                         std::vector<int64_t>(static_cast<size_t>(clusters), 0), 0.0};
  out.totals = ReduceRowBlocks(
      examples, kBlockRows, zero, [&](int64_t begin, int64_t end, ClusterSums& partial) {
        const auto block = x.middleRows(begin, end - begin);
        // Scores as [k, rows]: the small centre matrix is the packed left operand and each
        // row's k scores are contiguous. ||c||^2 - 2 x.c in place.
        Eigen::MatrixXf scores = centers_f * block.transpose();
        scores = (-2.0f * scores).colwise() + center_norms;
        Eigen::RowVectorXd point(dims);
        for (Eigen::Index r = 0; r < block.rows(); ++r) {
          const float* row_scores = scores.col(r).data();
          Eigen::Index best = 0;
          float best_score = row_scores[0];
          float runner_up = std::numeric_limits<float>::infinity();
          for (Eigen::Index c = 1; c < clusters; ++c) {
            const float score = row_scores[c];
            if (score < best_score) {
              runner_up = best_score;
              best_score = score;
              best = c;
            } else if (score < runner_up) {
              runner_up = score;
            }
          }
          point = block.row(r).cast<double>();
          double distance = (point - centers.row(best)).squaredNorm();
          // ||x||^2 ~ distance - score(best), good to within the slack itself.
          const double row_norm = std::abs(distance - static_cast<double>(best_score));
          if (static_cast<double>(runner_up) - best_score <=
              slack * (row_norm + largest_center_norm)) {
            for (Eigen::Index c = 0; c < clusters; ++c) {
              const double exact = (point - centers.row(c)).squaredNorm();
              if (exact < distance || (exact == distance && c < best)) {
                distance = exact;
                best = c;
              }
            }
          }
          const auto i = static_cast<size_t>(begin + r);
          out.labels[i] = static_cast<int32_t>(best);
          out.distances[i] = distance;
          partial.inertia += distance;
          partial.sums.row(best) += point;
          partial.counts[static_cast<size_t>(best)] += 1;
        }
      });
}

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

// Lloyd's update: each centre becomes the mean of its examples (sums from Assign).
RowMatrixXd UpdateCenters(const DataRef& x, const Assignment& assignment,
                          const RowMatrixXd& old_centers) {
  ClusterSums totals = assignment.totals;
  ReseedEmptyClusters(x, assignment, totals);
  RowMatrixXd centers = old_centers;
  for (Eigen::Index c = 0; c < centers.rows(); ++c) {
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
  result.inertia_history.push_back(assignment.totals.inertia);
  if (observer) observer(restart, 0, assignment.totals.inertia);

  std::vector<int32_t> previous_labels;
  for (int64_t iteration = 1; iteration <= max_iterations; ++iteration) {
    RowMatrixXd updated = UpdateCenters(x, assignment, centers);
    const double shift = (updated - centers).squaredNorm();
    centers = std::move(updated);
    previous_labels.swap(assignment.labels);  // Assign refills the other buffer
    Assign(x, centers, assignment);
    result.inertia_history.push_back(assignment.totals.inertia);
    result.iterations = iteration;
    if (observer) observer(restart, iteration, assignment.totals.inertia);
    if (assignment.labels == previous_labels || shift <= shift_tolerance) {
      result.converged = true;
      break;
    }
  }
  result.centers = centers.cast<float>();
  result.assignments = std::move(assignment.labels);
  result.inertia = assignment.totals.inertia;
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
    KMeansResult result = RunLloyd(x, SeedKMeansPlusPlus(x, options.clusters, restart_rng,
                                                         options.local_trials),
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
