#include "pipeline/report/study_charts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "pipeline/plot/charts.h"
#include "pipeline/report/search_section.h"
#include "pipeline/report/study_summary.h"

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
  for (const std::string& key : SweptPaths(study)) {
    if (key != "seed") out.push_back(key);
  }
  return out;
}

// A curve worth reading first: a loss or an accuracy (train_d_loss, val_accuracy), or the
// objective itself.
bool IsKeyCurve(const std::string& metric, const std::optional<Objective>& objective) {
  if (objective && objective->metric == metric) return true;
  const std::string name = metric.substr(metric.find('.') + 1);
  return name.find("loss") != std::string::npos || name.find("accuracy") != std::string::npos;
}

// A metric about the effort or size of the work (iterations, parameters, epochs run, time,
// throughput, learning rate), not about how good the result is: a diagnostic, never an effect.
bool IsBookkeeping(const std::string& metric) {
  const std::string name = metric.substr(metric.find('.') + 1);
  auto ends = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const char* exact : {"iterations", "parameters", "examples", "converged", "lr",
                            "stopped_epoch", "chosen_epoch", "epochs_run", "iterations_run",
                            "early_stopped", "reseeds"}) {
    if (name == exact) return true;
  }
  return ends("_time") || ends("_per_s") || ends("_seconds") || ends("_examples") ||
         ends("_iterations");
}

// The runs whose curves of `stage` are one line: those that use the same execution of it. A
// run without a recorded key (data built in memory) is its own group. In run order.
std::vector<std::vector<const RunData*>> RunsByExecution(const StudyData& study,
                                                         const std::string& stage) {
  std::vector<std::vector<const RunData*>> groups;
  std::map<std::string, size_t> index;
  for (const RunData& run : study.runs) {
    auto key = run.stage_keys.find(stage);
    if (key == run.stage_keys.end()) {
      groups.push_back({&run});
      continue;
    }
    auto [it, inserted] = index.emplace(key->second, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(&run);
  }
  return groups;
}

// The legend name of a line shared by `runs`: the swept parameters they all have in common
// ("pca.components=16"), or the run's own label when it is one run.
std::string GroupLabel(const StudyData& study, const std::vector<const RunData*>& runs) {
  if (runs.size() == 1) return RunLabel(study, *runs.front());
  std::string label;
  const std::string& variant = runs.front()->variant;
  const bool one_variant = !variant.empty() &&
                           std::all_of(runs.begin(), runs.end(),
                                       [&](const RunData* r) { return r->variant == variant; });
  if (one_variant) label = variant;
  for (const std::string& key : SweptPaths(study)) {
    const nlohmann::json* found = ParamValue(*runs.front(), key);
    if (key == "variant" || !found) continue;
    const nlohmann::json& value = *found;
    if (one_variant && (value.is_object() || value.is_array())) continue;
    const bool shared = std::all_of(runs.begin(), runs.end(), [&](const RunData* r) {
      const nlohmann::json* other = ParamValue(*r, key);
      return other && *other == value;
    });
    if (!shared) continue;
    std::string text = ValueText(value);
    if (text.size() > 24) text = text.substr(0, 21) + "...";
    label += (label.empty() ? "" : " ") + key + "=" + text;
  }
  if (!label.empty()) return label;
  std::string numbers;
  for (size_t i = 0; i < runs.size() && i < 4; ++i) {
    numbers += (i ? ", " : "") + std::to_string(runs[i]->number);
  }
  return "runs " + numbers + (runs.size() > 4 ? ", ..." : "");
}

void AddLearningCurves(const StudyData& study, const std::optional<Objective>& objective,
                       std::vector<Figure>& figures, size_t max) {
  std::set<std::string> done;
  // Key curves first, so a study with many train stages (S10) shows every stage's losses
  // before anyone's learning rate.
  std::vector<std::string> order;
  for (const bool key : {true, false}) {
    for (const auto& [metric, per_run] : study.histories) {
      if (IsKeyCurve(metric, objective) == key) order.push_back(metric);
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
    const std::vector<std::vector<const RunData*>> groups = RunsByExecution(study, stage);
    for (const std::vector<const RunData*>& group : groups) {
      const RunData& run = *group.front();
      const bool stopped = std::all_of(group.begin(), group.end(),
                                       [](const RunData* r) { return r->status == "pruned"; });
      if (color >= max_lines && !stopped) continue;
      // One line (or one pair) needs no run in its legend.
      const std::string label = groups.size() == 1 ? "" : GroupLabel(study, group);
      auto add = [&](const std::string& key, bool dashed) {
        auto it = study.histories.find(key);
        if (it == study.histories.end()) return;
        auto points = it->second.find(run.number);
        if (points == it->second.end()) return;
        Series s;
        if (label.empty()) {
          s.label = paired ? (dashed ? "validation" : "train") : name;
        } else {
          // The title says validation is dashed: the legend names each line once, by its
          // solid (train) curve.
          s.label = label;
          s.in_legend = !dashed;
        }
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
      if (stopped || series.size() == before) continue;  // no curve in this execution
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
    // The vertical dashed lines are unlabelled in the plot: the title says what they mark.
    const std::string marked = markers.empty() ? "" : "; vertical: the epoch kept";
    const std::string title =
        paired ? stage + "." + (name.rfind("train_", 0) == 0 ? name.substr(6) : name.substr(4)) +
                     " (train solid, validation dashed" + marked + ")"
               : MetricTitle(metric) + (markers.empty() ? "" : " (vertical: the epoch kept)");
    // A pair's y axis is what both measure ("loss"), not the train curve's name.
    const std::string y_label =
        paired ? (name.rfind("train_", 0) == 0 ? name.substr(6) : name.substr(4)) : name;
    ChartSpec spec{title, StepUnit(study, metric), y_label};
    spec.x_whole_numbers = true;
    // Accuracies climb to the upper right, where the legend would cover them.
    spec.legend_below = y_label.find("accuracy") != std::string::npos;
    const bool key = IsKeyCurve(metric, objective) || (paired && IsKeyCurve(partner, objective));
    figures.push_back({title, plot::LineChart(spec, series, markers),
                       key ? FigureSection::kKey : FigureSection::kDiagnostic});
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

void AddMetricVsParameter(const StudyData& study, const std::vector<std::string>& metrics,
                          FigureSection section, std::vector<Figure>& figures, size_t max) {
  const std::vector<std::string> factors = Factors(study);
  for (const std::string& metric : metrics) {
    for (const std::string& param : factors) {
      if (figures.size() >= max) return;
      // Group runs by the other factors; within a group, by this parameter's value.
      // Keyed by the other factors' values, so lines come in their order (8, 16, 64; not as
      // text, 16, 64, 8); each with its label.
      std::map<std::vector<nlohmann::json>, std::map<double, std::vector<double>>> groups;
      std::map<std::vector<nlohmann::json>, std::string> labels;
      bool numeric = true, whole = true;
      for (const RunData& run : study.runs) {
        auto value = run.finals.find(metric);
        const nlohmann::json* x = ParamValue(run, param);
        if (value == run.finals.end() || !x) continue;
        if (!IsNumber(*x)) {
          numeric = false;
          break;
        }
        std::vector<nlohmann::json> group;
        std::string label;
        for (const std::string& other : factors) {
          const nlohmann::json* v = other == param ? nullptr : ParamValue(run, other);
          if (!v) continue;
          group.push_back(*v);
          std::string text = ValueText(*v);
          if (text.size() > 24) text = text.substr(0, 21) + "...";
          label += (label.empty() ? "" : " ") + other + "=" + text;
        }
        whole = whole && x->is_number_integer();
        groups[group][x->get<double>()].push_back(value->second);
        labels[group] = label;
      }
      if (!numeric || groups.empty() || groups.size() > kMaxLinesPerChart) continue;
      std::vector<Series> series;
      double low = INFINITY, high = -INFINITY;
      for (const auto& [group, points] : groups) {
        Series s;
        s.label = labels[group].empty() ? metric : labels[group];
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
      spec.x_whole_numbers = whole;
      if (low > 0 && high / low >= 100) spec.x_scale = plot::ScaleKind::kLog;
      figures.push_back({spec.title, plot::LineChart(spec, series), section});
    }
  }
}

void AddHeatmaps(const StudyData& study, const std::vector<std::string>& metrics,
                 FigureSection section, std::vector<Figure>& figures, size_t max) {
  const std::vector<std::string> factors = Factors(study);
  // A search samples new values in every trial: a grid of them would be mostly empty cells.
  if (factors.size() < 2 || !study.trials.empty()) return;
  const std::string& rows_param = factors[0];
  const std::string& columns_param = factors[1];
  for (const std::string& metric : metrics) {
    if (figures.size() >= max) return;
    std::map<std::string, nlohmann::json> row_values, column_values;
    std::map<std::pair<std::string, std::string>, std::vector<double>> cells;
    for (const RunData& run : study.runs) {
      auto value = run.finals.find(metric);
      const nlohmann::json* row = ParamValue(run, rows_param);
      const nlohmann::json* column = ParamValue(run, columns_param);
      if (value == run.finals.end() || !row || !column) continue;
      const std::string r = row->dump(), c = column->dump();
      row_values[r] = *row;
      column_values[c] = *column;
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
    figures.push_back({spec.title, plot::Heatmap(spec), section});
  }
}

}  // namespace

std::vector<Figure> BuildFigures(const StudyData& study, size_t max_figures) {
  const std::optional<Objective> objective = StudyObjective(study);
  // Effects worth a glance: the headline metrics that vary (without an objective, every
  // outcome); the other outcomes are diagnostics.
  std::vector<std::string> effects, diagnostics;
  const std::vector<std::string> outcomes = OutcomeMetrics(study);
  auto is_effect = [&](const std::string& metric) {
    return std::find(effects.begin(), effects.end(), metric) != effects.end();
  };
  for (const std::string& metric : HeadlineMetrics(study, objective)) {
    if (std::find(outcomes.begin(), outcomes.end(), metric) != outcomes.end()) {
      effects.push_back(metric);
    }
  }
  // The objective's stage says more about it (S6: NLL beside BIC, both against K).
  if (objective) {
    const std::string stage = objective->metric.substr(0, objective->metric.find('.') + 1);
    for (const std::string& metric : outcomes) {
      if (metric.compare(0, stage.size(), stage) == 0 && !is_effect(metric) &&
          !IsBookkeeping(metric)) {
        effects.push_back(metric);
      }
    }
  }
  for (const std::string& metric : outcomes) {
    if (!objective && !IsBookkeeping(metric)) {
      effects.push_back(metric);
    } else if (!is_effect(metric)) {
      diagnostics.push_back(metric);
    }
  }
  std::vector<Figure> figures;
  AddLearningCurves(study, objective, figures, max_figures / 2);
  // Each effect metric against every parameter, then over the first two, before the next one.
  const size_t effects_max = max_figures - max_figures / 4;
  for (const std::string& metric : effects) {
    AddMetricVsParameter(study, {metric}, FigureSection::kEffect, figures, effects_max);
    AddHeatmaps(study, {metric}, FigureSection::kEffect, figures, effects_max);
  }
  AddMetricVsParameter(study, diagnostics, FigureSection::kDiagnostic, figures, max_figures);
  AddHeatmaps(study, diagnostics, FigureSection::kDiagnostic, figures, max_figures);
  std::stable_sort(figures.begin(), figures.end(), [](const Figure& a, const Figure& b) {
    return a.section < b.section;
  });
  return figures;
}

}  // namespace pipeline::report
