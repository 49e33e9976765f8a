#pragma once
// Stage "tsne" (kind reduce): embeds the input's "x" in 2-D or 3-D with Barnes-Hut t-SNE
// (stages/reduce/tsne.h). Uses the rng for random initialisation (with init "pca" the result is
// deterministic anyway).
//
// Parameters
//   dims                int in [2, 3], default 2: output dimensions
//   perplexity          float > 1, default 30: effective number of neighbours (k = 3 * perplexity
//                       + 1 nearest neighbours are used); at most N - 1
//   learning_rate       float >= 0, default 0: gradient step; 0 = auto, max(N / 12 / 4, 50)
//   iterations          int >= 250, default 1000: total iterations, the first 250 with early
//                       exaggeration
//   theta               float in [0, 1], default 0.5: Barnes-Hut accuracy (0 = exact, O(N^2))
//   early_exaggeration  float >= 1, default 12: factor on P during the first 250 iterations
//   init                "pca" | "random", default "pca": initial embedding (scaled to std 1e-4)
//   plot                bool, default true: with dims = 2, write "tsne.png", an 800 x 800 scatter
//                       plot coloured by "y" (stages/common/scatter_plot.h)
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
