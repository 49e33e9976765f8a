#include "pipeline/report/html_report.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "pipeline/hash.h"
#include "pipeline/plot/svg.h"
#include "pipeline/report/study_charts.h"

namespace pipeline::report {
namespace {

using plot::EscapeXml;

constexpr size_t kMaxMetricColumns = 14;
constexpr size_t kMaxPictures = 40;
constexpr size_t kMaxPictureBytes = 4 << 20;

const char* kStyle = R"CSS(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1280px; color: #222; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
.sub { color: #666; }
pre { background: #f6f8fa; padding: 12px; overflow-x: auto; font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; }
th { background: #f0f3f6; cursor: pointer; position: sticky; top: 0; }
th.sorted-asc::after { content: " \25B2"; } th.sorted-desc::after { content: " \25BC"; }
td.text { text-align: left; }
tr.failed td { background: #fdecea; } tr.skipped td, tr.interrupted td { background: #fff8e1; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid #eee; padding: 6px; }
figcaption { font-size: 12px; color: #555; max-width: 640px; }
.scroll { overflow-x: auto; max-height: 640px; }
)CSS";

// Sorts the runs table by the clicked column: numbers numerically, text alphabetically.
const char* kScript = R"JS(
(function () {
  var table = document.getElementById('runs');
  if (!table) return;
  var headers = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headers, function (th, column) {
    th.addEventListener('click', function () {
      var ascending = !th.classList.contains('sorted-asc');
      Array.prototype.forEach.call(headers, function (h) { h.classList.remove('sorted-asc', 'sorted-desc'); });
      th.classList.add(ascending ? 'sorted-asc' : 'sorted-desc');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute('data-value'), y = b.cells[column].getAttribute('data-value');
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  table.setAttribute('data-sortable', 'ready');
})();
)JS";

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  return buf;
}

std::string Cell(const std::string& text, const std::string& sort_value, bool is_text) {
  return std::string("<td") + (is_text ? " class=\"text\"" : "") + " data-value=\"" +
         EscapeXml(sort_value) + "\">" + EscapeXml(text) + "</td>";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string Base64(const std::string& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string RenderHtmlReport(const StudyData& study, std::vector<std::string>* problems) {
  std::map<std::string, int> status_counts;
  for (const RunData& run : study.runs) ++status_counts[run.status];
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                     EscapeXml(study.name) + " — pipeline report</title>\n<style>" + kStyle +
                     "</style></head><body>\n";
  html += "<h1>" + EscapeXml(study.name) + "</h1>\n<p class=\"sub\">" + EscapeXml(study.file) +
          " · " + std::to_string(study.runs.size()) + " runs";
  for (const auto& [status, count] : status_counts) {
    html += " · " + std::to_string(count) + " " + EscapeXml(status);
  }
  html += "</p>\n";

  // The grid: each swept parameter with its values.
  html += "<h2>Grid</h2>\n";
  if (study.swept.empty()) {
    html += "<p>A single configuration (no parameter varies).</p>\n";
  } else {
    html += "<table id=\"grid\"><thead><tr><th>parameter</th><th>values</th></tr></thead><tbody>\n";
    for (const std::string& key : study.swept) {
      std::set<std::string> seen;
      std::string values;
      for (const RunData& run : study.runs) {
        if (!run.params.contains(key)) continue;
        const std::string v = ValueText(run.params[key]);
        if (seen.insert(v).second) values += (values.empty() ? "" : ", ") + v;
      }
      html += "<tr><td class=\"text\">" + EscapeXml(key) + "</td><td class=\"text\">" +
              EscapeXml(values) + "</td></tr>\n";
    }
    html += "</tbody></table>\n";
  }

  // Runs table.
  std::vector<std::string> metrics;
  for (const std::string& m : study.metric_names) {
    if (metrics.size() < kMaxMetricColumns) metrics.push_back(m);
  }
  html += "<h2>Runs</h2>\n<p class=\"sub\">Click a column to sort.";
  if (metrics.size() < study.metric_names.size()) {
    html += " Showing " + std::to_string(metrics.size()) + " of " +
            std::to_string(study.metric_names.size()) + " metrics; `pipeline show RUN` has all.";
  }
  html += "</p>\n<div class=\"scroll\"><table id=\"runs\"><thead><tr><th>run</th><th>status</th>";
  for (const std::string& key : study.swept) html += "<th>" + EscapeXml(key) + "</th>";
  for (const std::string& m : metrics) html += "<th>" + EscapeXml(m) + "</th>";
  html += "<th>seconds</th></tr></thead><tbody>\n";
  for (const RunData& run : study.runs) {
    html += "<tr class=\"" + EscapeXml(run.status) + "\">" +
            Cell(std::to_string(run.number), std::to_string(run.number), false) +
            Cell(run.status, run.status, true);
    for (const std::string& key : study.swept) {
      const std::string v = run.params.contains(key) ? ValueText(run.params[key]) : "";
      html += Cell(v, v, !run.params.contains(key) || !run.params[key].is_number());
    }
    for (const std::string& m : metrics) {
      auto it = run.finals.find(m);
      html += it == run.finals.end() ? Cell("", "", false)
                                     : Cell(FormatNumber(it->second), FormatNumber(it->second), false);
    }
    html += Cell(FormatNumber(run.seconds), FormatNumber(run.seconds), false) + "</tr>\n";
  }
  html += "</tbody></table></div>\n";

  // Failures.
  std::string failures;
  for (const RunData& run : study.runs) {
    if (run.error.empty()) continue;
    failures += "<li>run " + std::to_string(run.number) + " (" + EscapeXml(RunLabel(study, run)) +
                "), " + EscapeXml(run.status) + ": " + EscapeXml(run.error) + "</li>\n";
  }
  if (!failures.empty()) html += "<h2>Failures</h2>\n<ul id=\"failures\">\n" + failures + "</ul>\n";

  // Charts and stage pictures.
  const std::vector<Figure> figures = BuildFigures(study);
  if (!figures.empty()) {
    html += "<h2>Charts</h2>\n<div class=\"figures\">\n";
    for (const Figure& figure : figures) {
      html += "<figure>" + figure.svg + "<figcaption>" + EscapeXml(figure.title) +
              "</figcaption></figure>\n";
    }
    html += "</div>\n";
  }
  if (!study.pictures.empty()) {
    html += "<h2>Pictures from the stages</h2>\n<div class=\"figures\">\n";
    size_t shown = 0;
    std::string not_shown;
    for (const StageFileData& picture : study.pictures) {
      if (shown >= kMaxPictures) break;
      const std::string bytes = ReadFile(picture.path);
      std::string problem;
      if (bytes.empty()) {
        problem = "missing or empty";
      } else if (!picture.content_hash.empty() && HashHex(bytes) != picture.content_hash) {
        problem = "corrupt: its bytes differ from the content hash recorded when the stage ran";
      }
      if (!problem.empty()) {
        const std::string folder = std::filesystem::path(picture.path).parent_path().string();
        const std::string line = picture.stage + " / " + picture.name + " (" + picture.path +
                                 ") is " + problem + "; not shown (remove " + folder +
                                 " and run the study again to recompute it)";
        not_shown += "<li>" + EscapeXml(line) + "</li>\n";
        if (problems) problems->push_back(line);
        continue;
      }
      if (bytes.size() > kMaxPictureBytes) continue;
      std::string runs;
      for (size_t i = 0; i < picture.runs.size() && i < 8; ++i) {
        runs += (i ? ", " : "") + std::to_string(picture.runs[i]);
      }
      if (picture.runs.size() > 8) runs += ", ...";
      html += "<figure><img alt=\"" + EscapeXml(picture.name) + "\" style=\"max-width:640px\" "
              "src=\"data:image/png;base64," + Base64(bytes) + "\"><figcaption>" +
              EscapeXml(picture.stage + " / " + picture.name) + " — runs " + runs +
              "</figcaption></figure>\n";
      ++shown;
    }
    html += "</div>\n";
    if (!not_shown.empty()) {
      html += "<h3>Pictures not shown</h3>\n<ul id=\"bad-pictures\">\n" + not_shown + "</ul>\n";
    }
  }

  html += "<h2>Study file</h2>\n<pre>" + EscapeXml(study.text) + "</pre>\n";
  html += std::string("<script>") + kScript + "</script>\n</body></html>\n";
  return html;
}

}  // namespace pipeline::report
