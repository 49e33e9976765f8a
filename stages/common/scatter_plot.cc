#include "stages/common/scatter_plot.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "pipeline/errors.h"


namespace stages {
namespace {

// matplotlib's tab10 cycle.
constexpr uint8_t kTab10[10][3] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28},
    {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f},
    {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf}};
constexpr uint8_t kUnlabelled[3] = {0x60, 0x60, 0x60};
constexpr uint8_t kAxes[3] = {0x30, 0x30, 0x30};
constexpr double kPadding = 0.03;

void DrawBox(RgbImage& image, int left, int top, int right, int bottom) {
  for (int x = left; x <= right; ++x) {
    image.Set(x, top, kAxes);
    image.Set(x, bottom, kAxes);
  }
  for (int y = top; y <= bottom; ++y) {
    image.Set(left, y, kAxes);
    image.Set(right, y, kAxes);
  }
}

}  // namespace

const uint8_t* LabelColor(int32_t label) { return label < 0 ? kUnlabelled : kTab10[label % 10]; }

RgbImage RenderScatterPlot(const Eigen::Ref<const pipeline::RowMatrixXf>& points,
                           const std::vector<int32_t>& labels, const ScatterPlotOptions& options) {
  const Eigen::Index n = points.rows();
  if (points.cols() < 2) {
    throw pipeline::StageError("scatter plot: needs 2 coordinates per point, got " +
                               std::to_string(points.cols()));
  }
  if (!labels.empty() && static_cast<Eigen::Index>(labels.size()) != n) {
    throw pipeline::StageError("scatter plot: " + std::to_string(labels.size()) +
                               " labels for " + std::to_string(n) + " points");
  }
  if (!points.leftCols(2).allFinite()) {
    throw pipeline::StageError("scatter plot: coordinates contain NaN or infinity");
  }
  RgbImage image(options.width, options.height);
  const int left = options.margin;
  const int top = options.margin;
  const int right = options.width - 1 - options.margin;
  const int bottom = options.height - 1 - options.margin;
  DrawBox(image, left, top, right, bottom);
  if (n == 0) return image;

  const Eigen::Vector2d low = points.leftCols(2).colwise().minCoeff().cast<double>().transpose();
  const Eigen::Vector2d high = points.leftCols(2).colwise().maxCoeff().cast<double>().transpose();
  const Eigen::Vector2d center = (low + high) / 2;
  double side = std::max(high(0) - low(0), high(1) - low(1));
  if (side <= 0) side = 1;
  side *= 1 + 2 * kPadding;
  const double inner = static_cast<double>(std::min(right - left, bottom - top) - options.marker_size);
  const double scale = inner / side;
  const double pixel_center_x = (left + right) / 2.0;
  const double pixel_center_y = (top + bottom) / 2.0;
  const int half_marker = options.marker_size / 2;

  for (Eigen::Index i = 0; i < n; ++i) {
    const double px = pixel_center_x + (points(i, 0) - center(0)) * scale;
    const double py = pixel_center_y - (points(i, 1) - center(1)) * scale;  // y grows upwards
    const int x0 = static_cast<int>(std::lround(px)) - half_marker;
    const int y0 = static_cast<int>(std::lround(py)) - half_marker;
    const uint8_t* color = labels.empty() ? kUnlabelled : LabelColor(labels[static_cast<size_t>(i)]);
    for (int dy = 0; dy < options.marker_size; ++dy) {
      for (int dx = 0; dx < options.marker_size; ++dx) image.Set(x0 + dx, y0 + dy, color);
    }
  }
  return image;
}

}  // namespace stages
