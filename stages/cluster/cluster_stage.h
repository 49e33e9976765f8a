#pragma once
// Stage "kmeans" (kind cluster): k-means++ seeded Lloyd iterations with restarts
// (stages/cluster/kmeans.h).
//
// Parameters: declared with the stage type (its .cc file); `pipeline stages <type>` and
// docs/stages.md print them with types, defaults and ranges.
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
