#pragma once
// Stage "npy_loader" (kind load): examples (and optionally labels) from NumPy .npy files
// (format and accepted dtypes: stages/load/npy_reader.h).
//
// Parameters: declared with the stage type (its .cc file); `pipeline stages <type>` and
// docs/stages.md print them with types, defaults and ranges.
//
// Shapes: [N, D] stays [N, D]; [N, H, W] becomes [N, 1, H, W]; [N, C, H, W] stays (or is
// transposed from [N, H, W, C] with layout nhwc). Other ranks are rejected.
//
// Output
//   x    float32 [N, ...] as above
//   y    int32   [N]      labels (only with labels_path)
//   ids  int32   [N]      index of the example in the file (0..N-1)
//   meta {"source": path, "labels_source": labels_path (with labels), "classes": max label + 1
//         (with labels)}
// Metric "examples" = N. Malformed files raise pipeline::DataError naming file and byte offset.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType NpyLoaderStage();

}  // namespace stages
