#include "pipeline/report/runs_section.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "pipeline/plot/svg.h"
#include "pipeline/report/study_summary.h"

namespace pipeline::report {
namespace {

using plot::EscapeXml;

constexpr size_t kMaxOtherColumns = 40;
constexpr size_t kMaxFallbackHeadline = 6;

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  return buf;
}

std::string Cell(const std::string& text, const std::string& sort_value, bool is_text) {
  return std::string("<td") + (is_text ? " class=\"text\"" : "") + " data-value=\"" +
         EscapeXml(sort_value) + "\">" + EscapeXml(text) + "</td>";
}

// A search's sampled values by run number, or nothing for a grid study.
std::map<int64_t, const nlohmann::json*> SampledParams(const StudyData& study) {
  std::map<int64_t, const nlohmann::json*> sampled;
  for (const TrialData& trial : study.trials) {
    if (trial.run_number) sampled[trial.run_number] = &trial.params;
  }
  return sampled;
}

std::string MetricCells(const RunData& run, const std::vector<std::string>& metrics) {
  std::string html;
  for (const std::string& m : metrics) {
    auto it = run.finals.find(m);
    html += it == run.finals.end()
                ? Cell("", "", false)
                : Cell(FormatNumber(it->second), FormatNumber(it->second), false);
  }
  return html;
}

}  // namespace

RunsColumns ChooseRunsColumns(const StudyData& study) {
  RunsColumns columns;
  // A search's columns are its sampled values ("model.optimizer.lr"), not the stage values
  // that hold them (the whole optimizer map).
  if (!study.trials.empty()) {
    std::set<std::string> paths;
    for (const TrialData& trial : study.trials) {
      for (auto it = trial.params.begin(); it != trial.params.end(); ++it) paths.insert(it.key());
    }
    columns.params.assign(paths.begin(), paths.end());
  } else {
    const std::vector<std::string> swept = SweptPaths(study);
    for (const std::string& key : swept) {
      if (key != "seed") columns.params.push_back(key);
    }
    if (std::find(swept.begin(), swept.end(), "seed") != swept.end()) {
      columns.params.push_back("seed");
    }
  }

  // Constant: every run that has the metric has the same value, and two or more runs have it.
  std::vector<std::string> varying;
  for (const std::string& metric : study.metric_names) {
    std::set<std::string> values;
    size_t present = 0;
    for (const RunData& run : study.runs) {
      auto it = run.finals.find(metric);
      if (it == run.finals.end()) continue;
      ++present;
      values.insert(FormatNumber(it->second));
    }
    if (present >= 2 && values.size() == 1) {
      columns.constant.emplace_back(metric, *values.begin());
    } else {
      varying.push_back(metric);
    }
  }
  auto is_varying = [&](const std::string& metric) {
    return std::find(varying.begin(), varying.end(), metric) != varying.end();
  };

  for (const std::string& metric : HeadlineMetrics(study, StudyObjective(study))) {
    if (is_varying(metric)) columns.headline.push_back(metric);
  }
  if (columns.headline.empty() && !varying.empty()) {
    // No objective: the last stage's metrics stand in for one.
    const std::string last = varying.back().substr(0, varying.back().find('.'));
    for (const std::string& metric : varying) {
      if (metric.compare(0, last.size() + 1, last + ".") == 0 &&
          columns.headline.size() < kMaxFallbackHeadline) {
        columns.headline.push_back(metric);
      }
    }
  }
  for (const std::string& metric : varying) {
    if (std::find(columns.headline.begin(), columns.headline.end(), metric) ==
        columns.headline.end()) {
      columns.others.push_back(metric);
    }
  }
  return columns;
}

std::string RunsSection(const StudyData& study) {
  const RunsColumns columns = ChooseRunsColumns(study);
  const std::map<int64_t, const nlohmann::json*> sampled = SampledParams(study);
  std::string html = "<section id=\"runs\">\n<h2>Runs</h2>\n";
  if (!columns.constant.empty()) {
    html += "<p class=\"constant\" id=\"same-for-every-run\"><b>Same for every run:</b> ";
    for (size_t i = 0; i < columns.constant.size(); ++i) {
      html += (i ? " · " : "") + EscapeXml(columns.constant[i].first) + " = " +
              EscapeXml(columns.constant[i].second);
    }
    html += "</p>\n";
  }
  html += "<p class=\"sub\">Click a column to sort.</p>\n<div class=\"scroll\"><table "
          "id=\"runs-table\" class=\"sortable\"><thead><tr><th>run</th><th>status</th>";
  for (const std::string& key : columns.params) html += "<th>" + EscapeXml(key) + "</th>";
  for (const std::string& m : columns.headline) html += "<th>" + EscapeXml(m) + "</th>";
  html += "<th>seconds</th></tr></thead><tbody>\n";
  const std::optional<Headline> headline = FindHeadline(study);
  for (const RunData& run : study.runs) {
    const bool best = headline && headline->compared > 1 && headline->best->number == run.number;
    html += "<tr class=\"" + EscapeXml(run.status) + (best ? " best" : "") + "\"" +
            (best ? " title=\"the best run by the objective\"" : "") + ">" +
            Cell(std::to_string(run.number), std::to_string(run.number), false) +
            Cell(run.status, run.status, true);
    auto trial = sampled.find(run.number);
    for (const std::string& key : columns.params) {
      const nlohmann::json* value = nullptr;
      if (trial == sampled.end()) {
        value = ParamValue(run, key);
      } else if (auto it = trial->second->find(key); it != trial->second->end()) {
        value = &*it;
      }
      const std::string v = value ? ValueText(*value) : "";
      html += Cell(v, v, !value || !value->is_number());
    }
    html += MetricCells(run, columns.headline);
    html += Cell(FormatNumber(run.seconds), FormatNumber(run.seconds), false) + "</tr>\n";
  }
  html += "</tbody></table></div>\n";

  if (!columns.others.empty()) {
    const size_t shown = std::min(columns.others.size(), kMaxOtherColumns);
    const std::vector<std::string> others(columns.others.begin(), columns.others.begin() + shown);
    html += "<details id=\"more-metrics\"><summary>" + std::to_string(columns.others.size()) +
            " more metric" + (columns.others.size() == 1 ? "" : "s") + " per run";
    if (shown < columns.others.size()) {
      html += " (the first " + std::to_string(shown) + " shown; <code>pipeline show RUN</code> "
              "has all)";
    }
    html += "</summary>\n<div class=\"scroll\"><table class=\"sortable\"><thead><tr>";
    if (study.runs.size() == 1) {
      // One run: a row per metric reads better than one row forty columns wide.
      html += "<th>metric</th><th>value</th></tr></thead><tbody>\n";
      for (const std::string& m : others) {
        html += "<tr>" + Cell(m, m, true) + MetricCells(study.runs.front(), {m}) + "</tr>\n";
      }
    } else {
      html += "<th>run</th>";
      for (const std::string& m : others) html += "<th>" + EscapeXml(m) + "</th>";
      html += "</tr></thead><tbody>\n";
      for (const RunData& run : study.runs) {
        html += "<tr>" + Cell(std::to_string(run.number), std::to_string(run.number), false) +
                MetricCells(run, others) + "</tr>\n";
      }
    }
    html += "</tbody></table></div></details>\n";
  }
  return html + "</section>\n";
}

const char* SortScript() {
  return R"JS(
(function () {
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
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
  });
})();
)JS";
}

}  // namespace pipeline::report
