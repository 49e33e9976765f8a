#include "pipeline/report/html_report.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/hash.h"
#include "pipeline/plot/svg.h"
#include "pipeline/report/runs_section.h"
#include "pipeline/report/search_section.h"
#include "pipeline/report/study_charts.h"
#include "pipeline/report/study_summary.h"

namespace pipeline::report {
namespace {

using plot::EscapeXml;

constexpr size_t kMaxPictures = 120;
constexpr size_t kMaxPictureBytes = 4 << 20;

const char* kStyle = R"CSS(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px auto; padding: 0 16px; max-width: 1680px; color: #222; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
h3 { margin: 20px 0 8px; }
.sub { color: #666; }
code { background: #f6f8fa; padding: 0 3px; }
#summary p { margin: 6px 0; } .headline { font-size: 18px; }
.status.done { color: #1a7f37; } .status.failed { color: #c62828; } .status.pruned { color: #777; }
pre { background: #f6f8fa; padding: 12px; overflow-x: auto; font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; }
th { background: #f0f3f6; cursor: pointer; position: sticky; top: 0; }
th.sorted-asc::after { content: " \25B2"; } th.sorted-desc::after { content: " \25BC"; }
td.text { text-align: left; }
tr.best td { font-weight: bold; background: #eaf5ea; }
tr.failed td { background: #fdecea; } tr.skipped td, tr.interrupted td { background: #fff8e1; }
.constant { font-size: 13px; color: #444; }
details { margin: 12px 0; } summary { cursor: pointer; font-weight: bold; margin: 8px 0; }
.chart-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(520px, 100%), 1fr)); gap: 16px; align-items: start; }
.chart-grid figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid #eee; padding: 6px; }
figcaption { font-size: 12px; color: #555; max-width: 640px; }
figure.series { flex-basis: 100%; }
.strip { display: flex; flex-wrap: wrap; gap: 6px; }
.strip img { width: 230px; image-rendering: pixelated; }
.strip .epoch { font-size: 12px; color: #333; text-align: center; }
.scroll { overflow-x: auto; max-height: 640px; }
.search-tables { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; margin-bottom: 16px; }
.search-tables td { white-space: normal; max-width: 720px; }
)CSS";

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

// The epoch of a picture named <series>_epoch_<digits>.png (e.g. a generative model's
// samples_epoch_010.png), with the series name; nullopt for other names.
std::optional<std::pair<std::string, int64_t>> EpochPicture(const std::string& name) {
  const size_t mark = name.rfind("_epoch_");
  const size_t digits = mark == std::string::npos ? 0 : mark + 7;
  if (mark == std::string::npos || name.size() < digits + 5 ||
      name.compare(name.size() - 4, 4, ".png") != 0) {
    return std::nullopt;
  }
  const std::string number = name.substr(digits, name.size() - 4 - digits);
  if (number.empty() || number.size() > 9 ||
      !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::make_pair(name.substr(0, mark), std::stoll(number));
}

std::string RunList(const std::vector<int64_t>& runs) {
  std::string text;
  for (size_t i = 0; i < runs.size() && i < 8; ++i) text += (i ? ", " : "") + std::to_string(runs[i]);
  if (runs.size() > 8) text += ", ...";
  return text;
}

// The stages' pictures: one figure each, except that a series of per-epoch pictures of one stage
// execution (samples_epoch_010.png, samples_epoch_020.png, ...) is one strip in epoch order, so
// the epochs compare at a glance. Damaged or missing files are listed, not shown.
std::string PicturesSection(const StudyData& study, std::vector<std::string>* problems) {
  struct Shown {
    const StageFileData* picture;
    std::string bytes;
  };
  std::vector<Shown> valid;
  std::string not_shown;
  size_t images = 0;
  for (const StageFileData& picture : study.pictures) {
    if (images >= kMaxPictures) break;
    std::string bytes = ReadFile(picture.path);
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
    valid.push_back({&picture, std::move(bytes)});
    ++images;
  }

  // Group: a series is keyed by the folder (one stage execution) and the series name.
  std::vector<std::vector<const Shown*>> groups;
  std::map<std::string, size_t> series_index;
  for (const Shown& shown : valid) {
    const auto epoch = EpochPicture(shown.picture->name);
    if (!epoch) {
      groups.push_back({&shown});
      continue;
    }
    const std::string key =
        std::filesystem::path(shown.picture->path).parent_path().string() + "/" + epoch->first;
    auto [it, inserted] = series_index.emplace(key, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(&shown);
  }

  std::string html = "<h2 id=\"pictures\">Pictures from the stages</h2>\n<div class=\"figures\">\n";
  for (std::vector<const Shown*>& group : groups) {
    const StageFileData& first = *group.front()->picture;
    const auto epoch = EpochPicture(first.name);
    if (!epoch) {
      html += "<figure><img alt=\"" + EscapeXml(first.name) + "\" style=\"max-width:640px\" "
              "src=\"data:image/png;base64," + Base64(group.front()->bytes) + "\"><figcaption>" +
              EscapeXml(first.stage + " / " + first.name) + " — runs " + RunList(first.runs) +
              "</figcaption></figure>\n";
      continue;
    }
    std::stable_sort(group.begin(), group.end(), [](const Shown* a, const Shown* b) {
      return EpochPicture(a->picture->name)->second < EpochPicture(b->picture->name)->second;
    });
    html += "<figure class=\"series\"><div class=\"strip\">";
    for (const Shown* shown : group) {
      const int64_t e = EpochPicture(shown->picture->name)->second;
      html += "<div><img alt=\"" + EscapeXml(shown->picture->name) +
              "\" src=\"data:image/png;base64," + Base64(shown->bytes) +
              "\"><div class=\"epoch\">epoch " + std::to_string(e) + "</div></div>";
    }
    html += "</div><figcaption>" +
            EscapeXml(first.stage + " / " + epoch->first + " after each epoch (" +
                      std::to_string(group.size()) + " pictures)") +
            " — runs " + RunList(first.runs) + "</figcaption></figure>\n";
  }
  html += "</div>\n";
  if (!not_shown.empty()) {
    html += "<h3>Pictures not shown</h3>\n<ul id=\"bad-pictures\">\n" + not_shown + "</ul>\n";
  }
  return html;
}

// Each swept parameter with its values.
std::string GridSection(const StudyData& study) {
  std::string html = "<h2 id=\"grid-section\">Grid</h2>\n";
  const std::vector<std::string> swept = SweptPaths(study);
  if (swept.empty()) {
    html += "<p>A single configuration (no parameter varies).</p>\n";
  } else {
    html += "<table id=\"grid\"><thead><tr><th>parameter</th><th>values</th></tr></thead><tbody>\n";
    for (const std::string& key : swept) {
      std::set<std::string> seen;
      std::string values;
      for (const RunData& run : study.runs) {
        const nlohmann::json* value = ParamValue(run, key);
        if (!value) continue;
        const std::string v = ValueText(*value);
        if (seen.insert(v).second) values += (values.empty() ? "" : ", ") + v;
      }
      html += "<tr><td class=\"text\">" + EscapeXml(key) + "</td><td class=\"text\">" +
              EscapeXml(values) + "</td></tr>\n";
    }
    html += "</tbody></table>\n";
  }
  return html;
}

// Figures of one section as a grid of cards: two or three a row on a wide screen, one on a
// narrow one (CSS grid; no script).
std::string FigureGrid(const std::vector<Figure>& figures, FigureSection section) {
  std::string html;
  for (const Figure& figure : figures) {
    if (figure.section != section) continue;
    html += "<figure>" + figure.svg + "<figcaption>" + EscapeXml(figure.title) +
            "</figcaption></figure>\n";
  }
  return html.empty() ? "" : "<div class=\"chart-grid\">\n" + html + "</div>\n";
}

std::string ChartSections(const StudyData& study) {
  const std::vector<Figure> figures = BuildFigures(study);
  std::string html;
  const std::string key = FigureGrid(figures, FigureSection::kKey);
  const std::string effect = FigureGrid(figures, FigureSection::kEffect);
  if (!key.empty() || !effect.empty()) {
    html += "<section id=\"charts\">\n<h2>Charts</h2>\n" + key;
    if (!effect.empty()) {
      html += "<h3 id=\"effects\">Effect of each parameter</h3>\n" + effect;
    }
    html += "</section>\n";
  }
  const std::string diagnostic = FigureGrid(figures, FigureSection::kDiagnostic);
  if (!diagnostic.empty()) {
    // Say what is folded: the metrics' names, the first few.
    std::vector<std::string> metrics;
    size_t count = 0;
    for (const Figure& figure : figures) {
      if (figure.section != FigureSection::kDiagnostic) continue;
      ++count;
      const std::string metric = figure.title.substr(0, figure.title.find(' '));
      if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end()) {
        metrics.push_back(metric);
      }
    }
    std::string names;
    for (size_t i = 0; i < metrics.size() && i < 5; ++i) names += (i ? ", " : "") + metrics[i];
    if (metrics.size() > 5) names += ", ...";
    html += "<section id=\"diagnostics\">\n<details><summary>Diagnostics: " +
            std::to_string(count) + " more chart" + (count == 1 ? "" : "s") + " (" +
            EscapeXml(names) + ")</summary>\n" + diagnostic + "</details>\n</section>\n";
  }
  return html;
}

std::string RenderHtmlReport(const StudyData& study, std::vector<std::string>* problems) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>" + EscapeXml(study.name) + " — pipeline report</title>\n<style>" +
                     kStyle + "</style></head><body>\n";
  html += "<h1>" + EscapeXml(study.name) + "</h1>\n<p class=\"sub\">" + EscapeXml(study.file) +
          " · " + std::to_string(study.runs.size()) + " runs</p>\n";

  // What matters first: the headline, the counts, the compute; then what went wrong.
  html += SummarySection(study);
  std::string failures;
  for (const RunData& run : study.runs) {
    // A pruned trial did not fail: the pruner stopped it, as the search section counts.
    if (run.error.empty() || run.status == "pruned") continue;
    failures += "<li>run " + std::to_string(run.number) + " (" + EscapeXml(RunLabel(study, run)) +
                "), " + EscapeXml(run.status) + ": " + EscapeXml(run.error) + "</li>\n";
  }
  if (!failures.empty()) {
    html += "<section id=\"failures-section\">\n<h2>Failures</h2>\n<ul id=\"failures\">\n" +
            failures + "</ul>\n</section>\n";
  }

  // A search: its progress and space; its runs are trials.
  html += SearchSection(study);
  html += ChartSections(study);
  html += RunsSection(study);
  if (!study.pictures.empty()) html += PicturesSection(study, problems);
  // The grid; a search's section above shows its space instead.
  if (study.trials.empty()) html += GridSection(study);

  html += "<section id=\"study-file\">\n<h2>Study file</h2>\n<pre>" + EscapeXml(study.text) +
          "</pre>\n</section>\n";
  html += std::string("<script>") + SortScript() + "</script>\n</body></html>\n";
  return html;
}

}  // namespace pipeline::report
