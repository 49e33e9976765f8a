#pragma once
// Stage "idx_loader" (kind load): reads one split of an IDX data set such as Fashion-MNIST.
//
// Parameters
//   dir    string, default "/usr/share/datasets/fashion-mnist": folder holding the four files
//          {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
//   split  "train" (default) or "test" (the t10k files)
//   limit  int >= 0, default 0: keep the first `limit` examples of the file; 0 keeps all
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
