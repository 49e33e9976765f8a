#pragma once
// The `encode` stage: runs a trained network (a train stage's output) over a data set and
// outputs one layer's activations as the examples' new features "x" [N, D] (y and ids pass
// through), e.g. an autoencoder's latent code for `reduce` and `cluster` (S5), or a
// classifier's penultimate layer. For autoencoders it also scores the reconstruction: metric
// reconstruction_mse (mean over all values), example_mse (step = example id) for the first
// `examples` examples, and reconstructions.png (originals above their reconstructions).

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType EncodeStage();

}  // namespace stages
