#pragma once
// Synthetic Gaussian blobs with known labels and centres (the data set of scikit-learn's
// make_blobs): a seeded source of clustering problems whose answer is known, for tests and for
// checking a pipeline before it meets real data.
//
// Stage "blobs" (kind load, uses the rng). Its parameters are declared with the
// stage type (the .cc file); `pipeline stages <type>` and docs/stages.md print them.
// Output: x float32 [n, dims], y int32 [n] (blob index), ids int32 [n] (0..n-1);
// meta {"true_centers": [[...], ...], "classes": centers}. Metric "examples" = n.

#include <cstdint>
#include <vector>

#include "pipeline/rng.h"
#include "pipeline/stage.h"
#include "pipeline/tensor.h"

namespace stages {

struct BlobsOptions {
  int64_t examples = 1000;
  int64_t dims = 2;
  int64_t centers = 3;
  double spread = 1.0;
  double center_box = 10.0;
};

struct Blobs {
  pipeline::RowMatrixXf x;        // [examples, dims]
  std::vector<int32_t> labels;    // example i belongs to blob i % centers (balanced classes)
  pipeline::RowMatrixXd centers;  // [centers, dims]
};

// Draws the data set. The centres come from rng.Fork(0) and example i from rng.Fork(i + 1), so
// the result depends only on the rng's seed and the options, not on the thread count.
Blobs MakeBlobs(const BlobsOptions& options, const pipeline::Rng& rng);

pipeline::StageType BlobsStage();

}  // namespace stages
