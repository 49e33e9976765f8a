#pragma once
// The `train` stage: trains a network declared in the study (layers, optimiser, schedule,
// early stopping) on its first data input, validating on the second if there is one, and
// outputs the kept checkpoint as a model artifact (model_artifact.h). An input that is itself
// a model (another train stage's output) initialises the weights: transfer learning, with
// `freeze` / `trainable` to train only some layers.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType TrainStage();

}  // namespace stages
