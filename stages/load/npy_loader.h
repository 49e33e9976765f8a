#pragma once
// Stage "npy_loader" (kind load): examples (and optionally labels) from NumPy .npy files
// (format and accepted dtypes: stages/load/npy_reader.h).
//
// Parameters
//   path         string, required: the .npy file of examples, dtype <f4, <f8 or |u1
//   labels_path  string, default "": a 1-D .npy of integer class labels, one per example;
//                "" means no labels
//   scale_uint8  bool, default true: divide |u1 values by 255 (to [0, 1]); false keeps 0..255
//   layout       "nchw" (default) | "nhwc": how a 4-D array is laid out; nhwc arrays
//                [N, H, W, C] are transposed to [N, C, H, W]
//   limit        int >= 0, default 0: keep the first `limit` examples; 0 keeps all
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
