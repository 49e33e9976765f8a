#pragma once
// A tiny rasteriser for 2-D scatter plots (t-SNE and PCA maps): points as small square markers
// coloured by integer label, on a white background inside a thin axes box, saved as PNG.
//
// Layout: the plot area is the image minus `margin` pixels on every side; the data's bounding
// box, padded by 3% of its larger side, is mapped into it with the same scale on both axes
// (a map must not stretch distances), centred. Points are drawn in row order, so later points
// cover earlier ones. Label l >= 0 gets colour l mod 10 of the tab10 palette (the matplotlib
// default cycle); negative labels and unlabelled plots are drawn grey.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/tensor.h"
#include "stages/common/raster.h"

namespace stages {

struct ScatterPlotOptions {
  int width = 800;       // pixels
  int height = 800;      // pixels
  int margin = 24;       // pixels between the image border and the axes box
  int marker_size = 3;   // side of a marker's square, pixels
};

// The tab10 colour for a label, as 3 bytes (grey for negative labels).
const uint8_t* LabelColor(int32_t label);

// Renders columns 0 and 1 of `points` (N x >= 2). `labels` is empty or has N entries.
// Throws pipeline::StageError on a shape mismatch or non-finite coordinates.
RgbImage RenderScatterPlot(const Eigen::Ref<const pipeline::RowMatrixXf>& points,
                           const std::vector<int32_t>& labels,
                           const ScatterPlotOptions& options = {});

}  // namespace stages
