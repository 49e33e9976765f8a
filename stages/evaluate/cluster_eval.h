#pragma once
// Stage "cluster_eval" (kind evaluate): scores cluster assignments against true labels
// (stages/evaluate/clustering_metrics.h). No parameters; deterministic.
//
// Inputs: one or two artifacts; "assignments" int32 [N] and "y" int32 [N] are taken from the
// first input that has each (e.g. a kmeans output alone, or kmeans plus the labelled data).
// Output: metadata {"accuracy", "nmi", "ari", "clusters"}, no tensors.
// Metrics: "accuracy" (after the best one-to-one cluster -> class matching), "nmi"
// (arithmetic normalisation), "ari", "clusters" (number of distinct assignment values).

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType ClusterEvalStage();

}  // namespace stages
