#pragma once
// The `train` stage: trains a network declared in the study (layers, optimiser, schedule,
// early stopping) on its first data input, validating on the second if there is one, and
// outputs the kept checkpoint as a model artifact (model_artifact.h). An input that is itself
// a model (another train stage's output) initialises the weights: transfer learning, with
// `freeze` / `trainable` to train only some layers.
//
// Metrics: per epoch (step = epoch, from 1) lr, train_loss, train_accuracy, val_loss,
// val_accuracy, epoch_time and images_per_s (training loop only); once (step 0) parameters,
// epochs_run, iterations_run, stopped_epoch (the last epoch trained, whether the policy or the
// limit ended training), early_stopped (1 if the policy ended it), chosen_epoch (the epoch of
// the output checkpoint), chosen_val_loss / chosen_val_accuracy (that checkpoint re-scored on
// the validation set) and init_tensors_loaded (with a model input).

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType TrainStage();

}  // namespace stages
