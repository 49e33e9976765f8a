// Implementation notes: everything here is drawn from StudyData (trials, runs' finals and
// histories) plus the search config parsed again from the stored study text, so the section
// needs no queries of its own and tests can build it from data in memory.

#include "pipeline/report/search_section.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "pipeline/errors.h"
#include "pipeline/plot/charts.h"
#include "pipeline/plot/svg.h"
#include "pipeline/search/search_config.h"
#include "pipeline/study.h"

namespace pipeline::report {
namespace {

using plot::EscapeXml;
using plot::Series;

constexpr int kBestColor = 3;   // tab10 red: the best-so-far line
constexpr int kTrialColor = 0;  // tab10 blue: done trials

// What the section needs to know about the search, from the config or guessed from the trials.
struct SearchView {
  std::string objective = "objective";
  bool maximize = true;
  std::string strategy;
  int64_t planned_trials = 0;
  std::string pruner;         // "" or "asha (model.val_accuracy, min 1 epoch, factor 3)"
  std::string pruner_metric;  // "model.val_accuracy"
  std::string pruner_stage;   // "model"
  struct Param {
    std::string path;
    std::string distribution;  // "loguniform [0.005, 0.5]"
    bool log = false;
    std::vector<nlohmann::json> choices;  // non-empty: categorical
  };
  std::vector<Param> params;
};

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  return buf;
}

SearchView ViewOf(const StudyData& study) {
  SearchView view;
  std::optional<SearchConfig> config;
  try {
    config = ParseSearchConfig(ParseStudy(study.text, study.file));
  } catch (const ConfigError&) {
    // The stored text is what ran; if this pipeline reads it differently, fall back below.
  }
  if (config) {
    view.objective = config->objective();
    view.maximize = config->direction == Direction::kMaximize;
    view.strategy = config->strategy;
    view.planned_trials = config->trials;
    const PrunerConfig& pruner = config->pruner;
    if (!pruner.type.empty()) {
      view.pruner_stage = pruner.stage;
      view.pruner_metric = pruner.stage + "." + pruner.metric;
      view.pruner = pruner.type + " on " + view.pruner_metric + ", from epoch " +
                    std::to_string(pruner.min_epochs);
      if (pruner.type == "asha") {
        view.pruner += ", reduction factor " + std::to_string(pruner.reduction_factor);
      }
    }
    for (const SearchParam& param : config->space) {
      SearchView::Param p;
      p.path = param.path;
      p.log = param.distribution.log();
      p.choices = param.distribution.choices;
      p.distribution = param.distribution.name();
      if (p.choices.empty()) {
        p.distribution += " [" + Number(param.distribution.low) + ", " +
                          Number(param.distribution.high) + "]";
      } else {
        std::string names;
        for (const auto& c : p.choices) names += (names.empty() ? "" : ", ") + ValueText(c);
        p.distribution += " [" + names + "]";
      }
      view.params.push_back(std::move(p));
    }
    return view;
  }
  std::set<std::string> paths;
  for (const TrialData& trial : study.trials) {
    for (auto it = trial.params.begin(); it != trial.params.end(); ++it) paths.insert(it.key());
  }
  for (const std::string& path : paths) view.params.push_back({path, "?", false, {}});
  return view;
}

bool Better(double a, double b, bool maximize) { return maximize ? a > b : a < b; }

std::string BestSoFarChart(const StudyData& study, const SearchView& view) {
  Series best, done, pruned;
  best.label = "best so far";
  best.color = kBestColor;
  best.width = 2.2;
  done.label = "done trials";
  done.color = kTrialColor;
  done.line = false;
  pruned.label = "pruned trials (value when stopped)";
  pruned.stroke = kPrunedColor;
  pruned.line = false;
  pruned.radius = 2.2;
  pruned.behind = true;
  std::optional<double> running;
  for (const TrialData& trial : study.trials) {
    const double x = static_cast<double>(trial.number);
    if (trial.state == "done") {
      done.x.push_back(x);
      done.y.push_back(trial.value);
      if (!running || Better(trial.value, *running, view.maximize)) {
        if (running) {  // the step: the old best up to here, then the new one
          best.x.push_back(x);
          best.y.push_back(*running);
        }
        running = trial.value;
      }
      best.x.push_back(x);
      best.y.push_back(*running);
    } else if (trial.state == "pruned") {
      pruned.x.push_back(x);
      pruned.y.push_back(trial.intermediate);
    }
  }
  if (running && !study.trials.empty() && best.x.back() < study.trials.back().number) {
    best.x.push_back(static_cast<double>(study.trials.back().number));
    best.y.push_back(*running);
  }
  std::vector<Series> series = {best, done};
  if (!pruned.x.empty()) series.push_back(pruned);
  plot::ChartSpec spec{"best " + view.objective + " so far (" +
                           (view.maximize ? "maximize" : "minimize") + ")",
                       "trial", view.objective};
  spec.width = 620;
  spec.height = 360;
  spec.legend_below = view.maximize;
  return plot::LineChart(spec, series);
}

std::string ParamChart(const StudyData& study, const SearchView& view, const SearchView::Param& p) {
  Series done, pruned;
  done.label = "done";
  done.color = kTrialColor;
  done.line = false;
  pruned.label = "pruned";
  pruned.stroke = kPrunedColor;
  pruned.line = false;
  pruned.radius = 2.2;
  pruned.behind = true;
  plot::ChartSpec spec{view.objective + " vs " + p.path, p.path, view.objective};
  spec.width = 400;
  spec.height = 300;
  spec.legend_below = view.maximize;
  if (p.log) spec.x_scale = plot::ScaleKind::kLog;
  for (const auto& c : p.choices) spec.x_categories.push_back(ValueText(c));
  for (const TrialData& trial : study.trials) {
    if (!trial.params.contains(p.path)) continue;
    const nlohmann::json& value = trial.params[p.path];
    double x = NAN;
    if (!p.choices.empty()) {
      auto it = std::find(p.choices.begin(), p.choices.end(), value);
      if (it != p.choices.end()) x = static_cast<double>(it - p.choices.begin());
    } else if (value.is_number()) {
      x = value.get<double>();
    }
    if (trial.state == "done") {
      done.x.push_back(x);
      done.y.push_back(trial.value);
    } else if (trial.state == "pruned") {
      pruned.x.push_back(x);
      pruned.y.push_back(trial.intermediate);
    }
  }
  std::vector<Series> series = {done};
  if (!pruned.x.empty()) series.push_back(pruned);
  return plot::LineChart(spec, series);
}

// Epochs a trial's run trained: its pruner stage's last epochs_run, else the number of steps
// logged for the watched metric.
std::optional<int64_t> EpochsRun(const StudyData& study, const SearchView& view,
                                 const TrialData& trial) {
  auto run = std::find_if(study.runs.begin(), study.runs.end(),
                          [&](const RunData& r) { return r.number == trial.run_number; });
  if (trial.run_number == 0 || run == study.runs.end()) return std::nullopt;
  const std::string stage =
      view.pruner_stage.empty() ? view.objective.substr(0, view.objective.find('.'))
                                : view.pruner_stage;
  auto epochs = run->finals.find(stage + ".epochs_run");
  if (epochs != run->finals.end()) return static_cast<int64_t>(std::lround(epochs->second));
  // A trial stopped at its first rung may have logged one step only: no history, no finals.
  if (trial.state == "pruned") return trial.step;
  const std::string metric = view.pruner_metric.empty() ? view.objective : view.pruner_metric;
  auto history = study.histories.find(metric);
  if (history == study.histories.end()) return std::nullopt;
  auto points = history->second.find(trial.run_number);
  if (points == history->second.end()) return std::nullopt;
  std::set<int64_t> steps;
  for (const HistoryPoint& p : points->second) steps.insert(p.step);
  return static_cast<int64_t>(steps.size());
}

std::string Row(const std::string& name, const std::string& value) {
  return "<tr><td class=\"text\">" + EscapeXml(name) + "</td><td class=\"text\">" +
         EscapeXml(value) + "</td></tr>\n";
}

std::string SummaryTable(const StudyData& study, const SearchView& view) {
  std::map<std::string, int> states;
  std::map<int64_t, int> pruned_at;
  const TrialData* best = nullptr;
  int64_t epochs = 0, longest = 0;
  size_t counted = 0;
  for (const TrialData& trial : study.trials) {
    ++states[trial.state];
    if (trial.state == "pruned") ++pruned_at[trial.step];
    if (trial.state == "done" && (!best || Better(trial.value, best->value, view.maximize))) {
      best = &trial;
    }
    if (const auto e = EpochsRun(study, view, trial)) {
      epochs += *e;
      longest = std::max(longest, *e);
      ++counted;
    }
  }
  std::string text;
  for (const auto& [state, n] : states) {
    text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  }
  std::string html = "<table id=\"search-summary\"><tbody>\n";
  std::string strategy = view.strategy;
  if (view.planned_trials > 0) strategy += ", " + std::to_string(view.planned_trials) + " trials planned";
  if (!strategy.empty()) html += Row("strategy", strategy);
  html += Row("pruner", view.pruner.empty() ? "none" : view.pruner);
  html += Row("trials", std::to_string(study.trials.size()) + ": " + text);
  if (!pruned_at.empty()) {
    std::string at;
    for (const auto& [step, n] : pruned_at) {
      at += (at.empty() ? "" : ", ") + std::to_string(n) + " after epoch " + std::to_string(step);
    }
    html += Row("pruned", at);
  }
  if (counted > 0) {
    html += Row("epochs spent", std::to_string(epochs) + " in " + std::to_string(counted) +
                                    " trial runs (" + std::to_string(counted * longest) +
                                    " if every one had run " + std::to_string(longest) + ")");
  }
  if (best) {
    std::string params;
    for (auto it = best->params.begin(); it != best->params.end(); ++it) {
      params += (params.empty() ? "" : ", ") + it.key() + "=" + ValueText(it.value());
    }
    html += Row("best trial", "trial " + std::to_string(best->number) + " (run " +
                                  std::to_string(best->run_number) + "): " + view.objective +
                                  " = " + Number(best->value));
    html += Row("best parameters", params);
  }
  html += "</tbody></table>\n";
  return html;
}

std::string SpaceTable(const SearchView& view) {
  std::string html = "<table id=\"search-space\"><thead><tr><th>parameter</th>"
                     "<th>distribution</th></tr></thead><tbody>\n";
  for (const SearchView::Param& p : view.params) html += Row(p.path, p.distribution);
  return html + "</tbody></table>\n";
}

}  // namespace

std::string SearchSection(const StudyData& study) {
  if (study.trials.empty()) return "";
  const SearchView view = ViewOf(study);
  std::string html = "<h2 id=\"search\">Search</h2>\n<div class=\"search-tables\">\n" +
                     SummaryTable(study, view) + SpaceTable(view) + "</div>\n";
  html += "<div class=\"figures\">\n<figure>" + BestSoFarChart(study, view) + "</figure>\n";
  for (const SearchView::Param& p : view.params) {
    html += "<figure>" + ParamChart(study, view, p) + "</figure>\n";
  }
  return html + "</div>\n";
}

}  // namespace pipeline::report
