#pragma once
// Stage "sample_quality" (kind evaluate): how close a set of images (e.g. a generative model's
// samples) is to a reference set, in the feature space of a classifier trained earlier in the
// study (stages/evaluate/sample_quality.h).
//
// Inputs: a classifier (a train stage's output) and two data sets with "x" of the shape the
// classifier takes: the candidate set, then the reference set (e.g. real test images). Real
// training images as the candidate give the floor a perfect generator would reach.
// Parameters: declared with the stage type (sample_quality_stage.cc); `pipeline stages
// sample_quality` and docs/stages.md print them.
// Output: no tensors; metadata {"frechet_distance", "class_entropy_score", "feature_layer"}.
// Metrics: "frechet_distance" (candidate vs reference features), "class_entropy_score" (of the
// candidate's predicted classes, at most the number of classes), "reference_class_entropy_score",
// "feature_size", "candidate_examples", "reference_examples".

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType SampleQualityStage();

}  // namespace stages
