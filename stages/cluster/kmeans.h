#pragma once
// k-means clustering: Lloyd's algorithm (Lloyd, "Least squares quantization in PCM", 1982)
// started from k-means++ seeds (kmeans_plus_plus.h), with several restarts keeping the lowest
// inertia.
//
// Each iteration moves every centre to the mean of its examples, then reassigns every example
// to its nearest centre. Per-example bounds (Hamerly 2010) prove most examples' centres
// unchanged with one distance; the others are ranked by ||c||^2 - 2 x.c through one float matrix
// product per block of rows (rows whose best two centres are within float rounding are
// re-ranked in double). The assignment is exactly Lloyd's; the inertia is summed from exact
// double ||x - c||^2 of the chosen centres.
// A centre left without examples is moved onto the example farthest from its own centre (taken
// from a cluster with more than one example), which can only lower the inertia. The inertia
// therefore never increases from one iteration to the next.
//
// Determinism: restart r draws from rng.Fork(r); every parallel loop uses fixed row blocks and a
// fixed reduction order, so results are identical for any thread count. Ties go to the lowest
// centre index and, among restarts, to the earliest restart.
// Thread-safe: no shared state; parallel loops run in the caller's task arena.

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <vector>

#include "pipeline/rng.h"
#include "pipeline/tensor.h"

namespace stages {

struct KMeansOptions {
  int64_t clusters = 8;          // k, in 1..N
  int64_t restarts = 1;          // independent k-means++ starts (>= 1); the best is kept
  int64_t max_iterations = 300;  // Lloyd iterations per restart (>= 0)
  // Converged when the summed squared movement of the centres in one iteration is at most
  // tolerance * (mean per-feature variance of x) -- a shift relative to the data's scale, as in
  // scikit-learn -- or when no example changes cluster.
  double tolerance = 1e-4;
  // k-means++ candidates per centre, the best kept (greedy k-means++, kmeans_plus_plus.h); 0:
  // 2 + floor(ln k), scikit-learn's choice; 1: the plain algorithm.
  int64_t local_trials = 0;
};

struct KMeansResult {
  pipeline::RowMatrixXf centers;     // [k, D]
  std::vector<int32_t> assignments;  // [N], nearest centre of each example, in 0..k-1
  double inertia = 0.0;              // sum of squared distances to the assigned centres
  int64_t iterations = 0;            // Lloyd iterations the best restart ran
  bool converged = false;            // false: stopped at max_iterations
  int64_t best_restart = 0;
  // Inertia of the best restart with its starting centres (index 0) and after each iteration
  // (index i); size iterations + 1, non-increasing, last element == inertia.
  std::vector<double> inertia_history;
};

// Called after the seeding (iteration 0) and after each iteration of every restart. It may
// throw to abort the run, e.g. pipeline::Interrupted from StageContext::CheckCancelled.
using KMeansObserver = std::function<void(int64_t restart, int64_t iteration, double inertia)>;

// Clusters the rows of x (N examples x D features). Throws pipeline::StageError for clusters
// outside 1..N or restarts < 1.
KMeansResult KMeans(const Eigen::Ref<const pipeline::RowMatrixXf>& x, const KMeansOptions& options,
                    const pipeline::Rng& rng, const KMeansObserver& observer = {});

// Lloyd iterations from given centres [k, D] instead of k-means++ seeds: one run, reported as
// restart 0 (options.clusters and options.restarts are not used). Throws pipeline::StageError
// when the centres' width differs from x's.
KMeansResult RefineKMeans(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                          const pipeline::RowMatrixXd& initial_centers,
                          const KMeansOptions& options, const KMeansObserver& observer = {});

}  // namespace stages
