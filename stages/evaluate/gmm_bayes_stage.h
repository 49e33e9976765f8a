#pragma once
// Stage "gmm_bayes" (kind train, uses the rng): S7's Gaussian-mixture Bayes classifier
// (stages/evaluate/gmm_bayes.h). Fits one mixture per class on a training set and classifies a
// second set by argmax_c log P(c) + log p(x | c).
//
// Parameters: declared with the stage type (its .cc file, shared with gmm_bayes in
// gmm_params.h); `pipeline stages <type>` and docs/stages.md print them.
//
// Inputs, exactly two, in order:
//   1. the training set: "x" float32 [N1, ...] and "y" int32 [N1];
//   2. the set to classify: "x" float32 [N2, ...] with the same row size, optionally "y", "ids".
//   (e.g. PCA-20 features of the train and test splits.)
// Output: "predictions" int32 [N2] (class labels), "scores" float32 [N2, C] (log posterior,
// columns by increasing class label) and input 2's "y" and "ids" (those present); input 2's
// metadata plus {"classes": [...], "components", "covariance"}.
// Metrics: "train_nll" at step = class label (each class mixture's final mean NLL) and, when
// input 2 has "y": "accuracy", "error_rate", "class_accuracy" at step = class label.
// Files (when input 2 has "y"): "confusion_matrix.csv" (row-normalised: row = true class,
// column = predicted class, each row sums to 1) and "confusion_counts.csv" (counts).

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType GmmBayesStage();

}  // namespace stages
