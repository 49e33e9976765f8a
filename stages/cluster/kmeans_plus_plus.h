#pragma once
// k-means++ seeding (Arthur & Vassilvitskii, "k-means++: The Advantages of Careful Seeding",
// SODA 2007): the first centre is a uniformly drawn example; each further centre is an example
// drawn with probability proportional to D(x)^2, its squared distance to the nearest centre
// chosen so far. The expected inertia of the seeding alone is within O(log k) of the optimum.
//
// Draws from `rng` sequentially, so the seeds depend only on the rng state and the data, not on
// the thread count (distance updates run in parallel, one row per task slot). Thread-safe apart
// from `rng`, which the caller must not share.

#include <Eigen/Core>
#include <cstdint>

#include "pipeline/rng.h"
#include "pipeline/tensor.h"

namespace stages {

// Greedy k-means++ (as in the paper's experiments and scikit-learn): each further centre is the
// best of `local_trials` candidates drawn by D(x)^2, the one leaving the lowest potential
// sum_i D(x_i)^2. local_trials 1 is the plain algorithm; 0 means DefaultLocalTrials.
int64_t DefaultLocalTrials(int64_t clusters);  // 2 + floor(ln k), scikit-learn's choice

// Returns `clusters` rows of x as initial centres [clusters, D]. When every remaining example
// already coincides with a centre (fewer distinct points than clusters) the rest are drawn
// uniformly, so some centres may repeat. Requires 1 <= clusters <= x.rows().
pipeline::RowMatrixXd SeedKMeansPlusPlus(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                                         int64_t clusters, pipeline::Rng& rng,
                                         int64_t local_trials = 0);

}  // namespace stages
