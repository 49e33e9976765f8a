#pragma once
// Stage "tsne" (kind reduce): embeds the input's "x" in 2-D or 3-D with Barnes-Hut t-SNE
// (stages/reduce/tsne.h). Uses the rng for random initialisation (with init "pca" the result is
// deterministic anyway).
//
// Parameters: declared with the stage type (its .cc file); `pipeline stages <type>` and
// docs/stages.md print them with types, defaults and ranges.
//
// Input: one artifact with "x" float32 [N, ...] (read as N rows of row_size features).
// Output: "x" float32 [N, dims]; every other input tensor passed through unchanged ("y",
// "ids", ...); the input's metadata.
// Metrics: "kl_divergence" at steps 50, 100, ... and at the last iteration (the final value;
// the Barnes-Hut estimate, see stages/reduce/tsne_gradient.h).

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType TsneStage();

}  // namespace stages
