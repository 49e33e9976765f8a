#include <catch2/catch.hpp>

#include <cmath>
#include <regex>

#include "pipeline/plot/charts.h"
#include "pipeline/plot/svg.h"

using namespace pipeline::plot;

namespace {

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The x coordinate of the <text> element whose content is `label`.
double TextX(const std::string& svg, const std::string& label) {
  std::smatch m;
  const std::regex re("<text x=\"([0-9.]+)\" y=\"[0-9.]+\"[^>]*>" + label + "</text>");
  REQUIRE(std::regex_search(svg, m, re));
  return std::stod(m[1]);
}

}  // namespace

TEST_CASE("a line chart has one polyline per series, its tick labels and a legend", "[charts]") {
  Series train{"train loss", {1, 2, 3}, {1.0, 0.6, 0.4}};
  Series val{"validation loss", {1, 2, 3}, {1.1, 0.8, 0.7}};
  val.dashed = true;
  ChartSpec spec{"loss", "epoch", "loss"};
  const std::string svg = LineChart(spec, {train, val}, {{2, 1, "chosen"}});
  CHECK(Count(svg, "<polyline") == 2);
  CHECK(Count(svg, "stroke-dasharray") >= 2);  // dashed series + marker line
  CHECK(svg.find(">validation loss</text>") != std::string::npos);
  CHECK(svg.find(">chosen</text>") != std::string::npos);
  CHECK(svg.find(">epoch</text>") != std::string::npos);
  // y tick labels sit left of the frame, x tick labels left-to-right in value order.
  CHECK(TextX(svg, "0.4") < 72);
  CHECK(TextX(svg, "1.0") < TextX(svg, "2.0"));
}

TEST_CASE("non-finite values break the line instead of dropping to zero", "[charts]") {
  Series s{"s", {1, 2, 3, 4}, {1.0, NAN, 3.0, 4.0}};
  const std::string svg = LineChart({"t", "x", "y"}, {s});
  CHECK(Count(svg, "<polyline") == 2);
  CHECK(svg.find("nan") == std::string::npos);
}

TEST_CASE("a log x axis labels powers of ten and error bars are drawn", "[charts]") {
  Series s{"accuracy", {1e-4, 1e-3, 1e-2, 1e-1}, {0.5, 0.7, 0.9, 0.8}, {0.01, 0.02, 0.01, 0.05}};
  ChartSpec spec{"accuracy vs lr", "learning rate", "accuracy"};
  spec.x_scale = ScaleKind::kLog;
  const std::string svg = LineChart(spec, {s});
  CHECK(svg.find(">0.0001</text>") != std::string::npos);
  CHECK(svg.find(">0.1</text>") != std::string::npos);
  CHECK(TextX(svg, "0.001") - TextX(svg, "0.0001") == Approx(TextX(svg, "0.1") - TextX(svg, "0.01")).margin(0.2));
  // 4 error bars of 3 strokes each.
  CHECK(Count(svg, "stroke-width=\"1.2\"") == 12);
}

TEST_CASE("a heat map writes every value into its cell and colours by value", "[charts]") {
  HeatmapSpec spec;
  spec.title = "accuracy";
  spec.row_labels = {"8", "16"};
  spec.column_labels = {"5", "10", "15"};
  spec.values = {{0.41, 0.47, 0.48}, {0.40, NAN, 0.49}};
  const std::string svg = Heatmap(spec);
  CHECK(svg.find(">0.41</text>") != std::string::npos);
  CHECK(svg.find(">0.49</text>") != std::string::npos);
  CHECK(Count(svg, "<rect") == 1 + 6);  // background + cells (the missing one greyed)
  CHECK(svg.find(SequentialColor(1.0)) != std::string::npos);  // the maximum
  CHECK(svg.find(SequentialColor(0.0)) != std::string::npos);  // the minimum
}

TEST_CASE("a scatter plot colours points by label and names the classes", "[charts]") {
  const std::string svg = ScatterChart({"t-SNE", "", ""}, {0, 1, 2}, {0, 1, 0}, {0, 1, 1},
                                       {"t-shirt", "trouser"});
  CHECK(Count(svg, "<circle") == 3);
  CHECK(Count(svg, PaletteColor(1)) >= 3);  // two points and the legend entry
  CHECK(svg.find(">trouser</text>") != std::string::npos);
}

TEST_CASE("a curve that is the start of a longer one is drawn on top of it", "[charts]") {
  // A PCA's 3 ratios are the first 3 of a 6-component PCA's: drawn after it, so both show.
  Series shorter{"pca.components=3", {0, 1, 2}, {0.5, 0.3, 0.1}};
  Series longer{"pca.components=6", {0, 1, 2, 3, 4, 5}, {0.5, 0.3, 0.1, 0.05, 0.03, 0.02}};
  const std::string svg = LineChart({"ratios", "component", "ratio"}, {shorter, longer});
  const size_t first = svg.find("<polyline fill=\"none\" stroke=\"" + PaletteColor(0));
  const size_t second = svg.find("<polyline fill=\"none\" stroke=\"" + PaletteColor(1));
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(second < first);
  // The legend keeps the given order.
  CHECK(svg.find(">pca.components=3</text>") < svg.find(">pca.components=6</text>"));
}

TEST_CASE("a whole-number x axis labels epochs 1, 2, 3 without halves", "[charts]") {
  Series s{"loss", {1, 2, 3}, {1.0, 0.6, 0.4}};
  ChartSpec spec{"loss", "epoch", "loss"};
  spec.x_whole_numbers = true;
  const std::string svg = LineChart(spec, {s});
  CHECK(svg.find(">1.5</text>") == std::string::npos);
  CHECK(svg.find(">2</text>") != std::string::npos);
  spec.x_whole_numbers = false;
  CHECK(LineChart(spec, {s}).find(">1.5</text>") != std::string::npos);
}
