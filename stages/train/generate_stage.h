#pragma once
// The `generate` stage: samples from a trained generative model (a train stage with task gan or
// vae) as a data set, e.g. the candidate set of `sample_quality`. Input: the model. Output: "x"
// [count, C, H, W] (the shape of the data the model was trained on), values in [0, 1] like the
// loaders' images, and meta {"generated_by": task}. Noise comes from the stage's seed, so the
// same seed gives the same samples. Metric "generated" (the count); also samples.png, the first
// 64 as an 8 x 8 grid.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType GenerateStage();

}  // namespace stages
