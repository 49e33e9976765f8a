#pragma once
// Small labelled artifacts for the resample tests. Row i of "x" is (ids[i], y[i], i), so a test
// can check that "x", "y" and "ids" stay aligned after rows are selected or repeated.

#include <cstdint>
#include <vector>

#include "pipeline/artifact.h"
#include "pipeline/rng.h"
#include "tests/stages/stage_harness.h"

namespace resample_testing {

// Labels with `sizes[c]` examples of class c, in a seeded random order.
inline std::vector<int32_t> ShuffledLabels(const std::vector<int>& sizes, uint64_t seed) {
  std::vector<int32_t> labels;
  for (size_t c = 0; c < sizes.size(); ++c) labels.insert(labels.end(), sizes[c], int32_t(c));
  pipeline::Rng rng(seed);
  rng.Shuffle(labels);
  return labels;
}

// x [N, 3] = (ids, y, row), y, ids = 1000 + 7 * row, a non-row-aligned "centers" [2, 5] and
// meta {"classes": classes, "dataset": "test"}.
inline pipeline::ArtifactPtr LabelledArtifact(const std::vector<int32_t>& labels,
                                              int64_t classes) {
  const auto n = static_cast<int64_t>(labels.size());
  pipeline::RowMatrixXf x(n, 3);
  std::vector<int32_t> ids(labels.size());
  for (int64_t i = 0; i < n; ++i) {
    ids[size_t(i)] = static_cast<int32_t>(1000 + 7 * i);
    x(i, 0) = static_cast<float>(ids[size_t(i)]);
    x(i, 1) = static_cast<float>(labels[size_t(i)]);
    x(i, 2) = static_cast<float>(i);
  }
  pipeline::RowMatrixXf centers = pipeline::RowMatrixXf::Constant(2, 5, 0.5f);
  auto artifact = std::make_shared<pipeline::Artifact>();
  artifact->Put("x", pipeline::Tensor::FromMatrix(x));
  artifact->Put("y", pipeline::Tensor::FromVector(labels));
  artifact->Put("ids", pipeline::Tensor::FromVector(ids));
  artifact->Put("centers", pipeline::Tensor::FromMatrix(centers));
  artifact->meta()["classes"] = classes;
  artifact->meta()["dataset"] = "test";
  return artifact;
}

// True when every row of "x" still matches its "y" and "ids".
inline bool RowsAligned(const pipeline::Artifact& artifact) {
  const pipeline::Tensor& x = artifact.Get("x");
  const std::vector<int32_t> y = artifact.Get("y").ToIntVector();
  const std::vector<int32_t> ids = artifact.Get("ids").ToIntVector();
  if (x.rows() != static_cast<int64_t>(y.size()) || y.size() != ids.size()) return false;
  const auto matrix = x.MatrixF();
  for (size_t i = 0; i < y.size(); ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    if (matrix(row, 0) != static_cast<float>(ids[i]) ||
        matrix(row, 1) != static_cast<float>(y[i])) {
      return false;
    }
  }
  return true;
}

inline std::vector<int64_t> Counts(const std::vector<int32_t>& labels, int64_t classes) {
  std::vector<int64_t> counts(static_cast<size_t>(classes), 0);
  for (int32_t label : labels) ++counts[static_cast<size_t>(label)];
  return counts;
}

}  // namespace resample_testing
