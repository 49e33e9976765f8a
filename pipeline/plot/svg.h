#pragma once
// SvgWriter: a minimal builder of SVG documents — lines, rectangles, circles, polylines and text
// — with the escaping done once, here. Charts (charts.h) are drawn through it; the report embeds
// the result inline, so pictures need no files and no network.

#include <string>
#include <utility>
#include <vector>

namespace pipeline::plot {

// The ten colours of the "tab10" qualitative palette (matplotlib's default cycle).
const std::string& PaletteColor(size_t index);

std::string EscapeXml(const std::string& text);

class SvgWriter {
 public:
  SvgWriter(int width, int height);

  void Line(double x1, double y1, double x2, double y2, const std::string& color,
            double width = 1.0, bool dashed = false);
  void Rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& stroke = "none", const std::string& title = "");
  void Circle(double cx, double cy, double r, const std::string& fill);
  void Polyline(const std::vector<std::pair<double, double>>& points, const std::string& color,
                double width = 1.5, bool dashed = false);
  enum class Anchor { kStart, kMiddle, kEnd };
  void Text(double x, double y, const std::string& text, Anchor anchor = Anchor::kStart,
            double size = 12, const std::string& color = "#222", double rotate = 0,
            bool bold = false);
  std::string Finish() const;

 private:
  int width_;
  int height_;
  std::string body_;
};

}  // namespace pipeline::plot
