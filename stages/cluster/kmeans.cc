#include "stages/cluster/kmeans.h"

// Implementation notes
// - One pass over the data per iteration: each fixed block of rows settles its examples'
//   centres and, in the same sweep, sums the clusters for the next update (as in
//   scikit-learn's lloyd_iter_chunked_dense), so the data is read once, not twice.
// - Bounds (BoundedAssigner, after Hamerly 2010) settle most examples after the first few
//   iterations with one exact distance, to the centre they already have. Only the rest are
//   ranked against every centre. The result is the same assignment as Lloyd's full search:
//   a bound skips an example only when it proves, with a safety margin far above the rounding
//   error, that no other centre is as near.
// - Ranking uses ||c||^2 - 2 x.c (||x||^2 is the same for every centre of a row) with x.c from
//   a float GEMM of the gathered rows with the centres: the data is float already, and float
//   halves the cost. A float score can misorder two centres whose scores differ by less than its
//   rounding error, bounded by (D + 2) 2^-23 (||x||^2 + max ||c||^2) (the dot-product bound
//   gamma_D of Higham, "Accuracy and Stability of Numerical Algorithms", 2002, sec. 3.1, doubled
//   for the difference). A row whose best two scores are that close is re-ranked with exact
//   double distances, so every example really goes to its nearest centre (lowest index on
//   ties) -- which the monotone inertia needs. The same bound turns the float runner-up score
//   into a safe lower bound on the second-nearest distance.
// - The chosen centre's distance is computed as ||x - c||^2 in double (squared_distance.h):
//   the expansion cancels badly when ||x|| is large compared with ||x - c||, and the inertia
//   must be exact enough to be monotone.
// - The inertia, the per-cluster sums and the data variance are reduced over fixed row blocks
//   (stages/common/row_blocks.h), so every number is thread-count independent.
// - Empty clusters: the centre moves onto the example farthest from its assigned centre, and
//   that example leaves its old cluster, whose mean is recomputed without it (scikit-learn's
//   relocation rule). Moving a point to a centre placed on it lowers its cost to 0, and a
//   mean is the cheapest centre for its members, so the inertia cannot increase. The big move
//   lowers every bound by its length, so the examples near the new centre are ranked again.
// - The label, distance, bound and sum buffers live across iterations; an iteration allocates
//   only per-block scratch.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "pipeline/errors.h"
#include "stages/cluster/kmeans_plus_plus.h"
#include "stages/cluster/squared_distance.h"
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

// Relative safety margin of the bound tests: far above the rounding error of the double
// distances and of the bound updates over thousands of iterations, far below any real gap.
constexpr double kBoundMargin = 1e-9;

// A block whose unsettled examples are at least 1/kProductShare of its rows ranks them with the
// float product (Rank), fewer with exact distances (RankExactly); 2 to 16 measured the same.
constexpr int64_t kProductShare = 8;

// Assigns every example to its nearest centre (lowest index on ties) and sums the clusters,
// iteration after iteration, skipping the examples whose bounds prove their centre unchanged
// (Hamerly, "Making k-means even faster", SDM 2010). Per example it keeps a lower bound on the
// distance to the second-nearest centre; after the centres move, that bound drops by the
// largest movement of any other centre. An example whose exact distance to its centre is below
// max(lower bound, half the distance from its centre to the nearest other centre) keeps its
// centre; the others are ranked against every centre (Rank below). The exact distance to the
// assigned centre is computed for every example every iteration anyway: the inertia and the
// empty-cluster rule need it.
class BoundedAssigner {
 public:
  explicit BoundedAssigner(const DataRef& x) : x_(x) {}

  void Assign(const RowMatrixXd& centers, Assignment& out) {
    const int64_t examples = x_.rows();
    const Eigen::Index clusters = centers.rows();
    const Eigen::Index dims = x_.cols();
    const bool first = lower_.empty();
    if (first) {
      lower_.assign(static_cast<size_t>(examples), 0.0);
      out.labels.assign(static_cast<size_t>(examples), 0);
      out.distances.assign(static_cast<size_t>(examples), 0.0);
    }
    const CenterGeometry geometry = Geometry(centers, first);
    previous_centers_ = centers;
    const ClusterSums zero{RowMatrixXd::Zero(clusters, dims),
                           std::vector<int64_t>(static_cast<size_t>(clusters), 0), 0.0};
    out.totals = ReduceRowBlocks(
        examples, kBlockRows, zero, [&](int64_t begin, int64_t end, ClusterSums& partial) {
          std::vector<int64_t> unsettled;
          for (int64_t i = begin; i < end; ++i) {
            const auto u = static_cast<size_t>(i);
            if (first) {
              unsettled.push_back(i);
              continue;
            }
            const int32_t label = out.labels[u];
            const double distance = SquaredDistance(x_.row(i).data(), &centers(label, 0), dims);
            lower_[u] -= geometry.drop[static_cast<size_t>(label)];
            const double bound = std::max(lower_[u], geometry.half_gap[static_cast<size_t>(label)]);
            const double settled_below = bound * (1 - kBoundMargin);  // compared squared:
            if (settled_below > 0 && distance < settled_below * settled_below) {  // no sqrt here
              out.distances[u] = distance;
            } else {
              unsettled.push_back(i);
            }
          }
          if (first || static_cast<int64_t>(unsettled.size()) * kProductShare >= end - begin) {
            Rank(centers, geometry, unsettled, out);
          } else {
            RankExactly(centers, unsettled, out);
          }
          for (int64_t i = begin; i < end; ++i) {
            const auto u = static_cast<size_t>(i);
            const auto label = static_cast<Eigen::Index>(out.labels[u]);
            AddWidened(x_.row(i).data(), dims, partial.sums.row(label).data());
            partial.counts[static_cast<size_t>(label)] += 1;
            partial.inertia += out.distances[u];
          }
        });
  }

 private:
  struct CenterGeometry {
    std::vector<double> half_gap;  // [k] half the distance to the nearest other centre
    std::vector<double> drop;      // [k] largest movement of any other centre since last time
    RowMatrixXf centers_f;         // the centres in float, for the product
    Eigen::VectorXf norms;         // their squared norms, in float
    double largest_norm = 0.0;
  };

  CenterGeometry Geometry(const RowMatrixXd& centers, bool first) const {
    const Eigen::Index clusters = centers.rows();
    const Eigen::Index dims = centers.cols();
    CenterGeometry g;
    g.half_gap.assign(static_cast<size_t>(clusters), std::numeric_limits<double>::infinity());
    for (Eigen::Index a = 0; a < clusters; ++a) {
      for (Eigen::Index b = a + 1; b < clusters; ++b) {
        const double half = 0.5 * std::sqrt(SquaredDistance(&centers(a, 0), &centers(b, 0), dims));
        g.half_gap[static_cast<size_t>(a)] = std::min(g.half_gap[static_cast<size_t>(a)], half);
        g.half_gap[static_cast<size_t>(b)] = std::min(g.half_gap[static_cast<size_t>(b)], half);
      }
    }
    // drop[c] = the largest movement among the centres other than c: the top two suffice.
    g.drop.assign(static_cast<size_t>(clusters), 0.0);
    if (!first) {
      double top = 0.0, second = 0.0;
      Eigen::Index top_center = -1;
      for (Eigen::Index c = 0; c < clusters; ++c) {
        const double m = std::sqrt(SquaredDistance(&centers(c, 0), &previous_centers_(c, 0), dims));
        if (m > top) {
          second = top;
          top = m;
          top_center = c;
        } else if (m > second) {
          second = m;
        }
      }
      // Rounded up a little: the bound must not end above the true distance.
      for (Eigen::Index c = 0; c < clusters; ++c) {
        g.drop[static_cast<size_t>(c)] = (c == top_center ? second : top) * (1 + kBoundMargin);
      }
    }
    g.centers_f = centers.cast<float>();
    g.norms = centers.rowwise().squaredNorm().cast<float>();
    g.largest_norm = static_cast<double>(g.norms.maxCoeff());
    return g;
  }

  // Nearest centre of each listed example and a lower bound on its second-nearest distance.
  // Centres are ranked by ||c||^2 - 2 x.c from one float product of the gathered rows with the
  // centres; an example whose best two scores are within float rounding of each other (see the
  // notes) is ranked again with exact double distances. The lower bound then comes from the
  // exact second distance, or from the float runner-up score minus its rounding bound.
  void Rank(const RowMatrixXd& centers, const CenterGeometry& g, const std::vector<int64_t>& rows,
            Assignment& out) {
    if (rows.empty()) return;
    const Eigen::Index clusters = centers.rows();
    const Eigen::Index dims = x_.cols();
    // Twice the bound of the notes above: an error bound on each score on its own.
    const double slack = static_cast<double>(dims + 2) * std::ldexp(1.0, -22);
    RowMatrixXf gathered(static_cast<Eigen::Index>(rows.size()), dims);
    for (size_t r = 0; r < rows.size(); ++r) {
      gathered.row(static_cast<Eigen::Index>(r)) = x_.row(rows[r]);
    }
    // Scores as [k, rows]: each row's k scores are contiguous.
    Eigen::MatrixXf scores = g.centers_f * gathered.transpose();
    scores = (-2.0f * scores).colwise() + g.norms;
    const double infinity = std::numeric_limits<double>::infinity();
    for (size_t r = 0; r < rows.size(); ++r) {
      const float* row_scores = scores.col(static_cast<Eigen::Index>(r)).data();
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
      const float* row = x_.row(rows[r]).data();
      const double row_norm = SquaredNorm(row, dims);
      double distance = SquaredDistance(row, &centers(best, 0), dims);
      double second = infinity;
      const double error = slack * (row_norm + g.largest_norm);
      if (clusters > 1 && static_cast<double>(runner_up) - best_score <= error) {
        const Nearest exact = ExactNearest(row, centers);
        best = exact.center;
        distance = exact.distance;
        second = exact.second;
      } else if (clusters > 1) {
        second = std::max(0.0, static_cast<double>(runner_up) + row_norm - error);
      }
      const auto u = static_cast<size_t>(rows[r]);
      out.labels[u] = static_cast<int32_t>(best);
      out.distances[u] = distance;
      lower_[u] = std::sqrt(second) * (1 - kBoundMargin);
    }
  }

  // Rank's counterpart for a block whose bounds leave few examples (kProductShare): exact double
  // distances to every centre straight from the float rows, which also gives the exact second
  // distance (a tighter bound than the float runner-up's). Both give the same labels and
  // distances. On K=10, PCA-50 of 60,000, iterations 2-10 leave 15,000-28,000 examples, where
  // Rank's product is cheaper (the whole fit 0.068 -> 0.064 s on the session's Xeon VM).
  void RankExactly(const RowMatrixXd& centers, const std::vector<int64_t>& rows,
                   Assignment& out) {
    for (const int64_t i : rows) {
      const Nearest nearest = ExactNearest(x_.row(i).data(), centers);
      const auto u = static_cast<size_t>(i);
      out.labels[u] = static_cast<int32_t>(nearest.center);
      out.distances[u] = nearest.distance;
      lower_[u] = std::sqrt(nearest.second) * (1 - kBoundMargin);
    }
  }

  struct Nearest {
    Eigen::Index center = 0;  // lowest index on ties
    double distance = 0.0;    // squared, to that centre
    double second = 0.0;      // squared, to the next nearest (infinity for one centre)
  };

  // The nearest centre of one row by exact double distances to every centre.
  static Nearest ExactNearest(const float* row, const RowMatrixXd& centers) {
    Nearest n;
    n.distance = n.second = std::numeric_limits<double>::infinity();
    for (Eigen::Index c = 0; c < centers.rows(); ++c) {
      const double exact = SquaredDistance(row, &centers(c, 0), centers.cols());
      if (exact < n.distance) {
        n.second = n.distance;
        n.distance = exact;
        n.center = c;
      } else if (exact < n.second) {
        n.second = exact;
      }
    }
    return n;
  }

  DataRef x_;
  RowMatrixXd previous_centers_;
  std::vector<double> lower_;  // [N] lower bound on the distance to the second-nearest centre
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
  BoundedAssigner assigner(x);
  assigner.Assign(centers, assignment);
  result.inertia_history.push_back(assignment.totals.inertia);
  if (observer) observer(restart, 0, assignment.totals.inertia);

  std::vector<int32_t> previous_labels;
  for (int64_t iteration = 1; iteration <= max_iterations; ++iteration) {
    RowMatrixXd updated = UpdateCenters(x, assignment, centers);
    const double shift = (updated - centers).squaredNorm();
    centers = std::move(updated);
    previous_labels = assignment.labels;
    assigner.Assign(centers, assignment);
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
