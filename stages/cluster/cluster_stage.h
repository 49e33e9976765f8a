#pragma once
// Stage "kmeans" (kind cluster): k-means++ seeded Lloyd iterations with restarts
// (stages/cluster/kmeans.h).
//
// Parameters
//   k         int >= 1, default 8: number of clusters (at most the number of examples)
//   n_init    int >= 1, default 1: restarts, each from rng.Fork(restart); the lowest inertia wins
//   max_iter  int >= 1, default 300: Lloyd iterations per restart
//   tol       float >= 0, default 1e-4: stop when the centres' summed squared shift is at most
//             tol * mean feature variance (or when no example changes cluster)
//
// Input: one artifact with "x" float32 [N, ...] (read as N rows of row_size features).
// Output: "assignments" int32 [N], "centers" float32 [k, D], and the input's "x", "y", "ids"
// (those present); the input's metadata plus {"k": k, "converged": bool}.
// Metrics: "inertia" at step i for the best restart (step 0: after seeding; i: after
// iteration i) and "iterations" (iterations the best restart ran).

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType KMeansStage();

}  // namespace stages
