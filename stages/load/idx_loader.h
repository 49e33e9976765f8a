#pragma once
// Stage "idx_loader" (kind load): reads one split of an IDX data set such as Fashion-MNIST.
//
// Parameters: declared with the stage type (its .cc file); `pipeline stages <type>` and
// docs/stages.md print them with types, defaults and ranges.
//
// Output
//   x    float32 [N, 1, rows, cols]  pixels scaled to [0, 1]
//   y    int32   [N]                 class labels
//   ids  int32   [N]                 index of each example in the file (0..N-1)
//   meta {"dataset": dir, "split": split, "classes": max label + 1}
// Metric "examples" = N. Missing or malformed files raise pipeline::DataError naming the file,
// the byte offset and the fix.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType IdxLoaderStage();

}  // namespace stages
