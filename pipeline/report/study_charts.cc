#include "pipeline/report/study_charts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "pipeline/plot/charts.h"
#include "pipeline/report/search_section.h"

namespace pipeline::report {
namespace {

using plot::ChartSpec;
using plot::Series;

constexpr size_t kMaxLinesPerChart = 12;

bool IsNumber(const nlohmann::json& v) { return v.is_number(); }

std::string MetricTitle(const std::string& key) { return key; }

// The swept parameters other than the seed.
std::vector<std::string> Factors(const StudyData& study) {
  std::vector<std::string> out;
  for (const std::string& key : study.swept) {
    if (key != "seed") out.push_back(key);
  }
  return out;
}

// Per-epoch bookkeeping: drawn after the curves that say how training went, so a study with
// many train stages (S10) shows every stage's losses before anyone's learning rate.
bool IsBookkeeping(const std::string& metric) {
  const std::string name = metric.substr(metric.find('.') + 1);
  return name == "lr" || name == "epoch_time" || name == "images_per_s";
}

void AddLearningCurves(const StudyData& study, std::vector<Figure>& figures, size_t max) {
  std::set<std::string> done;
  std::vector<std::string> order;
  for (const bool bookkeeping : {false, true}) {
    for (const auto& [metric, per_run] : study.histories) {
      if (IsBookkeeping(metric) == bookkeeping) order.push_back(metric);
    }
  }
  for (const std::string& metric : order) {
    if (figures.size() >= max || done.count(metric)) continue;
    const std::string stage = metric.substr(0, metric.find('.'));
    const std::string name = metric.substr(metric.find('.') + 1);
    std::string partner;
    if (name.rfind("train_", 0) == 0) partner = stage + ".val_" + name.substr(6);
    if (name.rfind("val_", 0) == 0) partner = stage + ".train_" + name.substr(4);
    const bool paired = !partner.empty() && study.histories.count(partner);
    std::vector<Series> series;
    std::vector<plot::Marker> markers;
    // A search's pruned trials are context: light grey behind the survivors, one legend entry.
    std::vector<Series> pruned;
    // One legend row is kept for them.
    const size_t max_lines = study.trials.empty() ? kMaxLinesPerChart : kMaxLinesPerChart - 1;
    size_t color = 0;
    for (const RunData& run : study.runs) {
      const bool stopped = run.status == "pruned";
      if (color >= max_lines && !stopped) continue;
      auto add = [&](const std::string& key, bool dashed) {
        auto it = study.histories.find(key);
        if (it == study.histories.end()) return;
        auto points = it->second.find(run.number);
        if (points == it->second.end()) return;
        Series s;
        const std::string suffix = paired ? (dashed ? " (val)" : " (train)") : "";
        s.label = RunLabel(study, run) + suffix;
        s.dashed = dashed;
        s.color = static_cast<int>(color);
        for (const HistoryPoint& p : points->second) {
          s.x.push_back(static_cast<double>(p.step));
          s.y.push_back(p.value);
        }
        if (stopped) {
          s.label = "pruned trials";
          s.stroke = kPrunedColor;
          s.width = 1.2;
          s.behind = true;
          s.in_legend = pruned.empty();
          pruned.push_back(std::move(s));
          return;
        }
        // Runs that share the stage have the same curve: one line, named after all of them.
        for (Series& other : series) {
          if (other.dashed == s.dashed && other.x == s.x && other.y == s.y) {
            other.label = other.label.substr(0, other.label.size() - suffix.size()) + ", " +
                          RunLabel(study, run) + suffix;
            return;
          }
        }
        series.push_back(std::move(s));
      };
      const size_t before = series.size();
      if (paired) {
        const bool is_train = name.rfind("train_", 0) == 0;
        add(is_train ? metric : partner, false);
        add(is_train ? partner : metric, true);
      } else {
        add(metric, false);
      }
      if (stopped || series.size() == before) continue;  // no curve, or the same as an earlier run's
      auto chosen = run.finals.find(stage + ".chosen_epoch");
      if (chosen != run.finals.end()) {
        markers.push_back({chosen->second, static_cast<int>(color), ""});
      }
      ++color;
    }
    if (series.empty() && pruned.empty()) continue;
    series.insert(series.end(), pruned.begin(), pruned.end());
    done.insert(metric);
    if (paired) done.insert(partner);
    const std::string title =
        paired ? stage + "." + (name.rfind("train_", 0) == 0 ? name.substr(6) : name.substr(4)) +
                     " (train solid, validation dashed)"
               : MetricTitle(metric);
    ChartSpec spec{title, "step", name};
    figures.push_back({title, plot::LineChart(spec, series, markers)});
  }
}

// Metrics worth plotting against parameters: final values of the last two stages that vary.
std::vector<std::string> OutcomeMetrics(const StudyData& study) {
  std::set<std::string> late_stages;
  for (size_t i = study.stage_order.size() >= 2 ? study.stage_order.size() - 2 : 0;
       i < study.stage_order.size(); ++i) {
    late_stages.insert(study.stage_order[i]);
  }
  std::vector<std::string> out;
  for (const std::string& metric : study.metric_names) {
    if (!late_stages.count(metric.substr(0, metric.find('.')))) continue;
    // A metric that is the same in every run (a data set's size) says nothing against a
    // parameter. Metrics with a history count by their final value (S6's NLL vs K).
    std::set<double> values;
    for (const RunData& run : study.runs) {
      auto it = run.finals.find(metric);
      if (it != run.finals.end()) values.insert(it->second);
    }
    if (values.size() > 1) out.push_back(metric);
  }
  return out;
}

void AddMetricVsParameter(const StudyData& study, std::vector<Figure>& figures, size_t max) {
  const std::vector<std::string> factors = Factors(study);
  for (const std::string& metric : OutcomeMetrics(study)) {
    for (const std::string& param : factors) {
      if (figures.size() >= max) return;
      // Group runs by the other factors; within a group, by this parameter's value.
      std::map<std::string, std::map<double, std::vector<double>>> groups;
      bool numeric = true;
      for (const RunData& run : study.runs) {
        auto value = run.finals.find(metric);
        if (value == run.finals.end() || !run.params.contains(param)) continue;
        if (!IsNumber(run.params[param])) {
          numeric = false;
          break;
        }
        std::string group;
        for (const std::string& other : factors) {
          if (other != param && run.params.contains(other)) {
            group += (group.empty() ? "" : " ") + other + "=" + ValueText(run.params[other]);
          }
        }
        groups[group][run.params[param].get<double>()].push_back(value->second);
      }
      if (!numeric || groups.empty() || groups.size() > kMaxLinesPerChart) continue;
      std::vector<Series> series;
      double low = INFINITY, high = -INFINITY;
      for (const auto& [group, points] : groups) {
        Series s;
        s.label = group.empty() ? metric : group;
        s.markers = true;
        for (const auto& [x, ys] : points) {
          double mean = 0, var = 0;
          for (double y : ys) mean += y / ys.size();
          for (double y : ys) var += (y - mean) * (y - mean) / std::max<size_t>(1, ys.size() - 1);
          s.x.push_back(x);
          s.y.push_back(mean);
          s.error.push_back(ys.size() > 1 ? std::sqrt(var) : 0.0);
          low = std::min(low, x);
          high = std::max(high, x);
        }
        if (s.x.size() < 2) continue;
        series.push_back(std::move(s));
      }
      if (series.empty()) continue;
      ChartSpec spec{metric + " vs " + param, param, metric};
      if (low > 0 && high / low >= 100) spec.x_scale = plot::ScaleKind::kLog;
      figures.push_back({spec.title, plot::LineChart(spec, series)});
    }
  }
}

void AddHeatmaps(const StudyData& study, std::vector<Figure>& figures, size_t max) {
  const std::vector<std::string> factors = Factors(study);
  // A search samples new values in every trial: a grid of them would be mostly empty cells.
  if (factors.size() < 2 || !study.trials.empty()) return;
  const std::string& rows_param = factors[0];
  const std::string& columns_param = factors[1];
  for (const std::string& metric : OutcomeMetrics(study)) {
    if (figures.size() >= max) return;
    std::map<std::string, nlohmann::json> row_values, column_values;
    std::map<std::pair<std::string, std::string>, std::vector<double>> cells;
    for (const RunData& run : study.runs) {
      auto value = run.finals.find(metric);
      if (value == run.finals.end() || !run.params.contains(rows_param) ||
          !run.params.contains(columns_param)) {
        continue;
      }
      const std::string r = run.params[rows_param].dump(), c = run.params[columns_param].dump();
      row_values[r] = run.params[rows_param];
      column_values[c] = run.params[columns_param];
      cells[{r, c}].push_back(value->second);
    }
    if (row_values.size() < 2 || column_values.size() < 2) continue;
    auto ordered = [](const std::map<std::string, nlohmann::json>& values) {
      std::vector<nlohmann::json> out;
      for (const auto& [key, v] : values) out.push_back(v);
      std::sort(out.begin(), out.end());
      return out;
    };
    plot::HeatmapSpec spec;
    spec.title = metric + " (mean over other parameters)";
    spec.x_label = columns_param;
    spec.y_label = rows_param;
    for (const auto& r : ordered(row_values)) {
      spec.row_labels.push_back(ValueText(r));
      std::vector<double> row;
      for (const auto& c : ordered(column_values)) {
        auto it = cells.find({r.dump(), c.dump()});
        double mean = NAN;
        if (it != cells.end()) {
          mean = 0;
          for (double v : it->second) mean += v / it->second.size();
        }
        row.push_back(mean);
      }
      spec.values.push_back(std::move(row));
    }
    for (const auto& c : ordered(column_values)) spec.column_labels.push_back(ValueText(c));
    spec.cell = spec.column_labels.size() > 10 ? 36 : 52;
    figures.push_back({spec.title, plot::Heatmap(spec)});
  }
}

}  // namespace

std::vector<Figure> BuildFigures(const StudyData& study, size_t max_figures) {
  std::vector<Figure> figures;
  AddLearningCurves(study, figures, max_figures / 2);
  AddMetricVsParameter(study, figures, max_figures - max_figures / 4);
  AddHeatmaps(study, figures, max_figures);
  return figures;
}

}  // namespace pipeline::report
