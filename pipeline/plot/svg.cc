#include "pipeline/plot/svg.h"

#include <cstdio>

namespace pipeline::plot {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

const std::string& PaletteColor(size_t index) {
  static const std::vector<std::string> kTab10 = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                  "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                  "#bcbd22", "#17becf"};
  return kTab10[index % kTab10.size()];
}

std::string EscapeXml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

SvgWriter::SvgWriter(int width, int height) : width_(width), height_(height) {}

void SvgWriter::Line(double x1, double y1, double x2, double y2, const std::string& color,
                     double width, bool dashed) {
  body_ += "<line x1=\"" + Num(x1) + "\" y1=\"" + Num(y1) + "\" x2=\"" + Num(x2) + "\" y2=\"" +
           Num(y2) + "\" stroke=\"" + color + "\" stroke-width=\"" + Num(width) + "\"" +
           (dashed ? " stroke-dasharray=\"5,4\"" : "") + "/>\n";
}

void SvgWriter::Rect(double x, double y, double w, double h, const std::string& fill,
                     const std::string& stroke, const std::string& title) {
  body_ += "<rect x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" width=\"" + Num(w) + "\" height=\"" +
           Num(h) + "\" fill=\"" + fill + "\" stroke=\"" + stroke + "\"";
  if (title.empty()) {
    body_ += "/>\n";
  } else {
    body_ += "><title>" + EscapeXml(title) + "</title></rect>\n";
  }
}

void SvgWriter::Circle(double cx, double cy, double r, const std::string& fill) {
  body_ += "<circle cx=\"" + Num(cx) + "\" cy=\"" + Num(cy) + "\" r=\"" + Num(r) + "\" fill=\"" +
           fill + "\"/>\n";
}

void SvgWriter::Polyline(const std::vector<std::pair<double, double>>& points,
                         const std::string& color, double width, bool dashed) {
  if (points.empty()) return;
  body_ += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"" + Num(width) + "\"" +
           (dashed ? " stroke-dasharray=\"5,4\"" : "") + " points=\"";
  for (const auto& [x, y] : points) body_ += Num(x) + "," + Num(y) + " ";
  body_ += "\"/>\n";
}

void SvgWriter::Text(double x, double y, const std::string& text, Anchor anchor, double size,
                     const std::string& color, double rotate, bool bold) {
  const char* a = anchor == Anchor::kStart ? "start" : anchor == Anchor::kMiddle ? "middle" : "end";
  body_ += "<text x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" text-anchor=\"" + a +
           "\" font-size=\"" + Num(size) + "\" fill=\"" + color + "\"" +
           (bold ? " font-weight=\"bold\"" : "");
  if (rotate != 0) {
    body_ += " transform=\"rotate(" + Num(rotate) + " " + Num(x) + " " + Num(y) + ")\"";
  }
  body_ += ">" + EscapeXml(text) + "</text>\n";
}

std::string SvgWriter::Finish() const {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width_) +
         "\" height=\"" + std::to_string(height_) + "\" viewBox=\"0 0 " + std::to_string(width_) +
         " " + std::to_string(height_) +
         "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
         "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" +
         body_ + "</svg>\n";
}

}  // namespace pipeline::plot
