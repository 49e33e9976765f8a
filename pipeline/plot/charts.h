#pragma once
// Charts as SVG text: line charts (learning curves, metric vs parameter with error bars, log
// axes), scatter plots coloured by class (2-D embeddings) and heat maps with numbers in the cells
// (two-parameter grids, confusion matrices). Pure functions of their inputs; thread-safe.

#include <cmath>
#include <string>
#include <vector>

#include "pipeline/plot/scale.h"

namespace pipeline::plot {

struct Series {
  std::string label;
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> error;  // optional: +- error bar per point (same length as y)
  bool dashed = false;
  bool markers = false;
  int color = -1;  // palette index; -1: the series' position
  // Style overrides: an explicit colour ("#c0c0c0") instead of the palette, points without the
  // line (a scatter on any axis), the line width and point radius, drawn before the others
  // (context such as stopped runs) and left out of the legend.
  std::string stroke;
  bool line = true;
  double width = 1.8;
  double radius = 3;
  bool behind = false;
  bool in_legend = true;
};

// The colour drawn for a series: its `stroke`, else its palette colour.
std::string SeriesColor(const Series& series, size_t position);

// A vertical line at x (e.g. the epoch early stopping chose), drawn in the colour of a series.
struct Marker {
  double x = 0;
  int color = 0;
  std::string label;
};

struct ChartSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  ScaleKind x_scale = ScaleKind::kLinear;
  ScaleKind y_scale = ScaleKind::kLinear;
  // Non-empty: a categorical x axis; series' x values are indexes into these names.
  std::vector<std::string> x_categories;
  bool legend_below = false;  // the legend in the lower right corner (high values plotted)
  // The x values are whole numbers (epochs, iterations, K): ticks only at whole numbers.
  bool x_whole_numbers = false;
  int width = 640;
  int height = 400;
};

std::string LineChart(const ChartSpec& spec, const std::vector<Series>& series,
                      const std::vector<Marker>& markers = {});

// Points coloured by integer label (palette index = label); `class_names` may be empty.
std::string ScatterChart(const ChartSpec& spec, const std::vector<double>& x,
                         const std::vector<double>& y, const std::vector<int>& labels,
                         const std::vector<std::string>& class_names);

struct HeatmapSpec {
  std::string title;
  std::string x_label;  // across (columns)
  std::string y_label;  // down (rows)
  std::vector<std::string> row_labels;
  std::vector<std::string> column_labels;
  std::vector<std::vector<double>> values;  // [row][column]; NaN: no value
  bool numbers = true;
  int cell = 52;
};

std::string Heatmap(const HeatmapSpec& spec);

// Viridis-like colour for t in [0, 1] as "#rrggbb".
std::string SequentialColor(double t);

}  // namespace pipeline::plot
