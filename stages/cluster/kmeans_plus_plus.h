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

// Returns `clusters` rows of x as initial centres [clusters, D]. When every remaining example
// already coincides with a centre (fewer distinct points than clusters) the rest are drawn
// uniformly, so some centres may repeat. Requires 1 <= clusters <= x.rows().
pipeline::RowMatrixXd SeedKMeansPlusPlus(const Eigen::Ref<const pipeline::RowMatrixXf>& x,
                                         int64_t clusters, pipeline::Rng& rng);

}  // namespace stages
