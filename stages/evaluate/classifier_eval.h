#pragma once
// The `evaluate` stage: scores a trained classifier (a train stage's output) on a labelled data
// set. Metrics: accuracy, error_rate, loss, class_accuracy (step = class), the row-normalised
// confusion matrix as rows `confusion` (step = 1000 * true class + predicted class, value = the
// fraction of the true class predicted so; `confusion_count` the counts) and `misclassified`
// (step = example id, value = predicted class; `misclassified_true` its true class). Files: confusion_matrix.png / .csv,
// most_confused.csv, misclassified.csv and misclassified.png (the first misclassified images
// with their true and predicted class). Output: predictions, probabilities, y and ids.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType EvaluateStage();

// Encoding of a confusion cell as a metric step.
inline int64_t ConfusionStep(int64_t truth, int64_t predicted) { return 1000 * truth + predicted; }

}  // namespace stages
