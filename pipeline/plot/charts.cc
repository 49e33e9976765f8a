// Implementation notes: every chart uses the same frame — title on top, y label rotated on the
// left, x label below — and Scale for both axes, so ticks and labels behave the same everywhere.
// Non-finite values are skipped (a broken line), never drawn at 0.

#include "pipeline/plot/charts.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "pipeline/plot/svg.h"

namespace pipeline::plot {
namespace {

constexpr double kLeft = 72, kRight = 20, kTop = 36, kBottom = 52;
constexpr size_t kLegendChars = 48;  // longer legend labels are cut, with "..."

struct Bounds {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  void Add(double v, bool log) {
    if (!std::isfinite(v) || (log && v <= 0)) return;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  bool empty() const { return low > high; }
};

void DrawFrame(SvgWriter& svg, const ChartSpec& spec, const Scale& xs, const Scale& ys) {
  const double x0 = kLeft, x1 = spec.width - kRight, y0 = spec.height - kBottom, y1 = kTop;
  for (const Tick& t : ys.ticks()) {
    const double y = ys.Map(t.value);
    svg.Line(x0, y, x1, y, "#e6e6e6");
    svg.Line(x0 - 4, y, x0, y, "#444");
    svg.Text(x0 - 7, y + 4, t.label, SvgWriter::Anchor::kEnd, 11);
  }
  for (const Tick& t : xs.ticks()) {
    const double x = xs.Map(t.value);
    svg.Line(x, y0, x, y1, "#f0f0f0");
    svg.Line(x, y0, x, y0 + 4, "#444");
    svg.Text(x, y0 + 17, t.label, SvgWriter::Anchor::kMiddle, 11);
  }
  svg.Rect(x0, y1, x1 - x0, y0 - y1, "none", "#444");
  svg.Text(spec.width / 2.0, 22, spec.title, SvgWriter::Anchor::kMiddle, 14, "#111", 0, true);
  svg.Text((x0 + x1) / 2, spec.height - 12, spec.x_label, SvgWriter::Anchor::kMiddle, 12);
  svg.Text(16, (y0 + y1) / 2, spec.y_label, SvgWriter::Anchor::kMiddle, 12, "#222", -90);
}

void DrawLegend(SvgWriter& svg, const ChartSpec& spec, const std::vector<Series>& all) {
  std::vector<Series> series;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!all[i].in_legend) continue;
    series.push_back(all[i]);
    if (series.back().stroke.empty() && series.back().color < 0) {
      series.back().color = static_cast<int>(i);
    }
  }
  // Context entries (behind) first, so a long legend never cuts them off.
  std::stable_partition(series.begin(), series.end(), [](const Series& s) { return s.behind; });
  if (series.size() < 2) return;
  const size_t shown = std::min<size_t>(series.size(), 12);
  size_t longest = 0;
  for (size_t i = 0; i < shown; ++i) longest = std::max(longest, series[i].label.size());
  const double width = 34 + 6.6 * static_cast<double>(std::min(longest, kLegendChars));
  const double height = 8 + 16.0 * (shown + (series.size() > shown ? 1 : 0));
  const double x = spec.width - kRight - width - 6;
  const double y = spec.legend_below ? spec.height - kBottom - height - 6 : kTop + 6;
  svg.Rect(x, y, width, height, "white", "#bbb");
  for (size_t i = 0; i < shown; ++i) {
    const std::string color = SeriesColor(series[i], i);
    const double row = y + 14 + 16.0 * i;
    if (series[i].line) {
      svg.Line(x + 6, row - 4, x + 26, row - 4, color, 2, series[i].dashed);
    } else {
      svg.Circle(x + 16, row - 4, 3, color);
    }
    // A cut label says so: "lr=0" for "lr=0.001" would be a wrong value.
    std::string label = series[i].label;
    if (label.size() > kLegendChars) label = label.substr(0, kLegendChars - 3) + "...";
    svg.Text(x + 30, row, label, SvgWriter::Anchor::kStart, 11);
  }
  if (series.size() > shown) {
    svg.Text(x + 30, y + 14 + 16.0 * shown, "... and " + std::to_string(series.size() - shown) +
                                                " more", SvgWriter::Anchor::kStart, 11, "#666");
  }
}

}  // namespace

std::string SeriesColor(const Series& series, size_t position) {
  if (!series.stroke.empty()) return series.stroke;
  return PaletteColor(series.color >= 0 ? static_cast<size_t>(series.color) : position);
}

std::string SequentialColor(double t) {
  // Five stops sampled from matplotlib's viridis, linearly interpolated.
  static const double kStops[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140},
                                      {94, 201, 98}, {253, 231, 37}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 4;
  const int i = std::min(3, static_cast<int>(t));
  const double f = t - i;
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x",
                static_cast<int>(kStops[i][0] + f * (kStops[i + 1][0] - kStops[i][0])),
                static_cast<int>(kStops[i][1] + f * (kStops[i + 1][1] - kStops[i][1])),
                static_cast<int>(kStops[i][2] + f * (kStops[i + 1][2] - kStops[i][2])));
  return buf;
}

std::string LineChart(const ChartSpec& spec, const std::vector<Series>& series,
                      const std::vector<Marker>& markers) {
  const bool xlog = spec.x_scale == ScaleKind::kLog, ylog = spec.y_scale == ScaleKind::kLog;
  Bounds bx, by;
  for (const Series& s : series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      bx.Add(s.x[i], xlog);
      const double e = i < s.error.size() && std::isfinite(s.error[i]) ? s.error[i] : 0;
      by.Add(s.y[i] - e, ylog);
      by.Add(s.y[i] + e, ylog);
    }
  }
  for (const Marker& m : markers) bx.Add(m.x, xlog);
  if (bx.empty()) bx = {0, 1};
  if (by.empty()) by = {0, 1};
  const Scale xs = spec.x_categories.empty()
                       ? Scale(spec.x_scale, bx.low, bx.high, kLeft, spec.width - kRight, 6,
                               spec.x_whole_numbers)
                       : Scale(spec.x_categories, kLeft, spec.width - kRight);
  const Scale ys(spec.y_scale, by.low, by.high, spec.height - kBottom, kTop);
  SvgWriter svg(spec.width, spec.height);
  DrawFrame(svg, spec, xs, ys);
  for (const Marker& m : markers) {
    const double x = xs.Map(m.x);
    svg.Line(x, kTop, x, spec.height - kBottom, PaletteColor(m.color), 1, true);
    if (!m.label.empty()) {
      svg.Text(x + 3, kTop + 12, m.label, SvgWriter::Anchor::kStart, 10, PaletteColor(m.color));
    }
  }
  // Context series (behind) first, so the others are drawn over them; among those, longer
  // series before shorter ones, so a curve that is the start of another (a PCA's 8 ratios and
  // the first 8 of a 64-component PCA) stays visible on top of it.
  std::vector<size_t> order;
  for (const bool behind : {true, false}) {
    std::vector<size_t> group;
    for (size_t k = 0; k < series.size(); ++k) {
      if (series[k].behind == behind) group.push_back(k);
    }
    std::stable_sort(group.begin(), group.end(), [&](size_t a, size_t b) {
      return series[a].x.size() > series[b].x.size();
    });
    order.insert(order.end(), group.begin(), group.end());
  }
  for (const size_t k : order) {
    const Series& s = series[k];
    const std::string color = SeriesColor(s, k);
    std::vector<std::pair<double, double>> run;
    auto flush = [&] {
      if (s.line) svg.Polyline(run, color, s.width, s.dashed);
      run.clear();
    };
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i]) || (ylog && s.y[i] <= 0) || (xlog && s.x[i] <= 0)) {
        flush();
        continue;
      }
      const double x = xs.Map(s.x[i]), y = ys.Map(s.y[i]);
      run.push_back({x, y});
      if (s.markers || !s.line || s.x.size() == 1) svg.Circle(x, y, s.radius, color);
      if (i < s.error.size() && std::isfinite(s.error[i]) && s.error[i] > 0) {
        const double top = ys.Map(s.y[i] + s.error[i]);
        const double bottom = ys.Map(ylog ? std::max(s.y[i] - s.error[i], ys.low()) : s.y[i] - s.error[i]);
        svg.Line(x, top, x, bottom, color, 1.2);
        svg.Line(x - 4, top, x + 4, top, color, 1.2);
        svg.Line(x - 4, bottom, x + 4, bottom, color, 1.2);
      }
    }
    flush();
  }
  DrawLegend(svg, spec, series);
  return svg.Finish();
}

std::string ScatterChart(const ChartSpec& spec, const std::vector<double>& x,
                         const std::vector<double>& y, const std::vector<int>& labels,
                         const std::vector<std::string>& class_names) {
  Bounds bx, by;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    bx.Add(x[i], false);
    by.Add(y[i], false);
  }
  if (bx.empty()) bx = {0, 1};
  if (by.empty()) by = {0, 1};
  const Scale xs(ScaleKind::kLinear, bx.low, bx.high, kLeft, spec.width - kRight);
  const Scale ys(ScaleKind::kLinear, by.low, by.high, spec.height - kBottom, kTop);
  SvgWriter svg(spec.width, spec.height);
  DrawFrame(svg, spec, xs, ys);
  int classes = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    const int label = i < labels.size() ? labels[i] : 0;
    classes = std::max(classes, label + 1);
    svg.Circle(xs.Map(x[i]), ys.Map(y[i]), 2.2, PaletteColor(static_cast<size_t>(std::max(0, label))));
  }
  std::vector<Series> legend;
  for (int c = 0; c < classes && classes > 1; ++c) {
    Series s;
    s.label = c < static_cast<int>(class_names.size()) ? class_names[c] : "class " + std::to_string(c);
    s.color = c;
    legend.push_back(s);
  }
  DrawLegend(svg, spec, legend);
  return svg.Finish();
}

std::string Heatmap(const HeatmapSpec& spec) {
  const size_t rows = spec.values.size();
  const size_t columns = rows ? spec.values[0].size() : 0;
  double low = std::numeric_limits<double>::infinity(), high = -low;
  for (const auto& row : spec.values) {
    for (double v : row) {
      if (std::isfinite(v)) {
        low = std::min(low, v);
        high = std::max(high, v);
      }
    }
  }
  const double left = 110, top = 44;
  // Wide enough for the title (about 8 px a character at 14 px bold) when the grid is small.
  const double title_width = 8.0 * static_cast<double>(spec.title.size()) + 20;
  const int width = static_cast<int>(std::max(left + spec.cell * columns + 30, title_width));
  const int height = static_cast<int>(top + spec.cell * rows + 56);
  SvgWriter svg(width, height);
  svg.Text(width / 2.0, 22, spec.title, SvgWriter::Anchor::kMiddle, 14, "#111", 0, true);
  for (size_t r = 0; r < rows; ++r) {
    const double y = top + spec.cell * r;
    if (r < spec.row_labels.size()) {
      svg.Text(left - 6, y + spec.cell / 2.0 + 4, spec.row_labels[r], SvgWriter::Anchor::kEnd, 11);
    }
    for (size_t c = 0; c < columns && c < spec.values[r].size(); ++c) {
      const double v = spec.values[r][c];
      const double x = left + spec.cell * c;
      if (!std::isfinite(v)) {
        svg.Rect(x, y, spec.cell, spec.cell, "#f4f4f4", "white");
        continue;
      }
      const double t = high > low ? (v - low) / (high - low) : 0.5;
      // Three significant digits, but thousands in full ("54081", not "5.41e+04": a cell
      // holds six digits better than an exponent).
      char text[32];
      std::snprintf(text, sizeof text, std::abs(v) >= 1000 && std::abs(v) < 1e6 ? "%.0f" : "%.3g",
                    v);
      svg.Rect(x, y, spec.cell, spec.cell, SequentialColor(t), "white", text);
      if (spec.numbers) {
        svg.Text(x + spec.cell / 2.0, y + spec.cell / 2.0 + 4, text, SvgWriter::Anchor::kMiddle,
                 spec.cell >= 40 ? 11 : 8, t > 0.6 ? "#111" : "#fff");
      }
    }
  }
  for (size_t c = 0; c < columns && c < spec.column_labels.size(); ++c) {
    svg.Text(left + spec.cell * (c + 0.5), top + spec.cell * rows + 16, spec.column_labels[c],
             SvgWriter::Anchor::kMiddle, 11);
  }
  svg.Text(left + spec.cell * columns / 2.0, height - 12, spec.x_label, SvgWriter::Anchor::kMiddle, 12);
  svg.Text(16, top + spec.cell * rows / 2.0, spec.y_label, SvgWriter::Anchor::kMiddle, 12, "#222", -90);
  return svg.Finish();
}

}  // namespace pipeline::plot
