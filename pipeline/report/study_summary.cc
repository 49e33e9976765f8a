// Implementation notes: everything is computed from StudyData, so tests build studies in memory.
// A search's trials carry the objective the search itself recorded (trials.value); the headline
// uses it, so the report and the search agree on the best trial even when the stage's last
// logged value differs (a trainer that keeps its best epoch).

#include "pipeline/report/study_summary.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "pipeline/errors.h"
#include "pipeline/plot/svg.h"
#include "pipeline/search/search_config.h"
#include "pipeline/study.h"

namespace pipeline::report {
namespace {

using plot::EscapeXml;

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// "42 s", "3.5 min", "2.1 h".
std::string Duration(double seconds) {
  char buf[32];
  if (seconds < 120) {
    std::snprintf(buf, sizeof buf, "%.3g s", seconds);
  } else if (seconds < 7200) {
    std::snprintf(buf, sizeof buf, "%.3g min", seconds / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g h", seconds / 3600);
  }
  return buf;
}

// The objective the study file names: its search's, else its own `objective:`.
std::optional<Objective> DeclaredObjective(const StudyData& study) {
  if (study.text.empty()) return std::nullopt;
  try {
    const Study parsed = ParseStudy(study.text, study.file);
    if (auto config = ParseSearchConfig(parsed)) {
      return Objective{config->objective(), config->direction == Direction::kMaximize,
                       "search.objective"};
    }
    if (!parsed.objective.empty()) {
      const bool maximize =
          parsed.objective_direction.empty()
              ? DirectionFromName(parsed.objective.substr(parsed.objective.find('.') + 1))
                        .value_or(Direction::kMaximize) == Direction::kMaximize
              : parsed.objective_direction == "maximize";
      return Objective{parsed.objective, maximize, "the study's objective"};
    }
  } catch (const ConfigError&) {
    // The stored text is what ran; a pipeline that now reads it differently falls back below.
  }
  return std::nullopt;
}

bool Varies(const StudyData& study, const std::string& metric) {
  std::set<double> values;
  for (const RunData& run : study.runs) {
    auto it = run.finals.find(metric);
    if (it != run.finals.end()) values.insert(it->second);
  }
  return values.size() > 1;
}

// The objective value of a finished run: its trial's for a search, else its final metric.
std::optional<double> ObjectiveValue(const StudyData& study, const RunData& run,
                                     const std::string& metric) {
  if (run.status != "done") return std::nullopt;
  for (const TrialData& trial : study.trials) {
    if (trial.run_number == run.number) {
      if (trial.state == "done") return trial.value;
      return std::nullopt;
    }
  }
  auto it = run.finals.find(metric);
  if (it == run.finals.end()) return std::nullopt;
  return it->second;
}

}  // namespace

std::optional<Objective> StudyObjective(const StudyData& study) {
  if (auto objective = DeclaredObjective(study)) return objective;
  // The evaluating stages' metrics in stage order: the first that varies says which run is
  // best; in a single run (or when none varies) the first of them stands.
  std::vector<std::string> candidates;
  for (const std::string& metric : study.metric_names) {
    auto type = study.stage_types.find(metric.substr(0, metric.find('.')));
    if (type != study.stage_types.end() && type->second.kind == "evaluate") {
      candidates.push_back(metric);
    }
  }
  if (candidates.empty()) return std::nullopt;
  auto varying = std::find_if(candidates.begin(), candidates.end(),
                              [&](const std::string& m) { return Varies(study, m); });
  const std::string& metric = varying != candidates.end() ? *varying : candidates.front();
  const std::optional<Direction> direction = DirectionFromName(metric.substr(metric.find('.') + 1));
  return Objective{metric, direction.value_or(Direction::kMaximize) == Direction::kMaximize,
                   varying != candidates.end()
                       ? "the first varying metric of the evaluating stages"
                       : "the first metric of the evaluating stages"};
}

std::optional<Headline> FindHeadline(const StudyData& study) {
  const std::optional<Objective> objective = StudyObjective(study);
  if (!objective) return std::nullopt;
  Headline headline;
  headline.objective = *objective;
  std::vector<double> values;
  for (const RunData& run : study.runs) {
    const std::optional<double> value = ObjectiveValue(study, run, objective->metric);
    if (!value) continue;
    values.push_back(*value);
    const bool better = objective->maximize ? *value > headline.value : *value < headline.value;
    if (!headline.best || better) {
      headline.best = &run;
      headline.value = *value;
    }
  }
  if (!headline.best) return std::nullopt;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  headline.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  headline.compared = n;
  return headline;
}

std::vector<std::string> HeadlineMetrics(const StudyData& study,
                                         const std::optional<Objective>& objective, size_t max) {
  std::vector<std::string> out;
  if (!objective) return out;
  auto add = [&](const std::string& metric) {
    if (out.size() >= max || std::find(out.begin(), out.end(), metric) != out.end()) return;
    if (metric != objective->metric && study.runs.size() > 1 && !Varies(study, metric)) return;
    out.push_back(metric);
  };
  auto stage_of = [](const std::string& metric) { return metric.substr(0, metric.find('.')); };
  auto kind_of = [&](const std::string& stage) {
    auto it = study.stage_types.find(stage);
    return it == study.stage_types.end() ? std::string() : it->second.kind;
  };
  add(objective->metric);
  for (const std::string& metric : study.metric_names) {
    if (kind_of(stage_of(metric)) == "evaluate") add(metric);
  }
  // Then the trainers' losses and accuracies (the objective's stage counts as one when it is not
  // evaluating: a search's model.val_accuracy), validation before training.
  const std::string objective_stage = stage_of(objective->metric);
  auto trains = [&](const std::string& stage) {
    const std::string kind = kind_of(stage);
    return kind == "train" || (stage == objective_stage && kind != "evaluate");
  };
  for (const char* prefix : {"val_", "train_"}) {
    for (const std::string& metric : study.metric_names) {
      const std::string name = metric.substr(metric.find('.') + 1);
      if (!trains(stage_of(metric)) || name.rfind(prefix, 0) != 0) continue;
      if (name.find("loss") != std::string::npos || name.find("accuracy") != std::string::npos) {
        add(metric);
      }
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> HeadlineParams(const StudyData& study,
                                                                const RunData& run) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const TrialData& trial : study.trials) {
    if (trial.run_number != run.number) continue;
    for (auto it = trial.params.begin(); it != trial.params.end(); ++it) {
      out.emplace_back(it.key(), ValueText(it.value()));
    }
    return out;
  }
  if (!run.variant.empty()) out.emplace_back("variant", run.variant);
  for (auto& swept : SweptValues(study, run, 48)) out.push_back(std::move(swept));
  return out;
}

ComputeSummary SummarizeCompute(const StudyData& study) {
  std::map<int64_t, double> started;
  for (const RunData& run : study.runs) started[run.number] = run.started_at;
  ComputeSummary summary;
  for (const StageExecutionData& execution : study.executions) {
    summary.uses += execution.runs.size();
    ++summary.executions;
    double first_start = 0;
    for (int64_t number : execution.runs) {
      const double at = started[number];
      if (at > 0 && (first_start == 0 || at < first_start)) first_start = at;
    }
    const bool cached = execution.finished_at > 0 && first_start > 0 &&
                        execution.finished_at < first_start;
    const double d = execution.duration_s;
    if (cached) {
      ++summary.cached;
      summary.cached_saved_s += d;
    } else {
      summary.computed_s += d;
    }
    if (execution.runs.size() > 1) {
      summary.shared_saved_s += d * static_cast<double>(execution.runs.size() - 1);
    }
  }
  return summary;
}

std::string SummarySection(const StudyData& study) {
  std::string html = "<section id=\"summary\">\n<h2>Summary</h2>\n";
  if (const std::optional<Headline> headline = FindHeadline(study)) {
    const Objective& o = headline->objective;
    const RunData& best = *headline->best;
    std::string params;
    for (const auto& [key, value] : HeadlineParams(study, best)) {
      params += (params.empty() ? "" : ", ") + EscapeXml(key) + " = <b>" + EscapeXml(value) +
                "</b>";
    }
    std::string trial;
    for (const TrialData& t : study.trials) {
      if (t.run_number == best.number) trial = " (trial " + std::to_string(t.number) + ")";
    }
    // With one finished run there is nothing to be best among, and its median is itself.
    const bool alone = headline->compared == 1;
    html += "<p class=\"headline\" id=\"headline\">" +
            std::string(alone ? "The finished run: " : "Best run: ") + "<b>run " +
            std::to_string(best.number) + "</b>" + trial + " <span class=\"sub\">(id " +
            std::to_string(best.id) + ", <code>pipeline show " + std::to_string(best.id) +
            "</code>)</span> with " + EscapeXml(o.metric) + " = <b>" + Number(headline->value) +
            "</b>" +
            (alone ? "" : ", against a median of " + Number(headline->median) + " over " +
                              std::to_string(headline->compared) + " finished runs") +
            ".</p>\n";
    if (!params.empty()) html += "<p class=\"params\">Its parameters: " + params + ".</p>\n";
    html += "<p class=\"sub\">Objective: " + EscapeXml(o.metric) + ", " +
            (o.maximize ? "higher" : "lower") + " is better (" + EscapeXml(o.source) + ")." +
            (o.source == "search.objective" || o.source == "the study's objective"
                 ? ""
                 : " A study names its own with <code>objective: {metric: STAGE.METRIC, "
                   "direction: maximize}</code>.") +
            "</p>\n";
  } else {
    html += "<p class=\"sub\">No headline: the study names no objective and has no evaluating "
            "stage. Name one with <code>objective: {metric: STAGE.METRIC, direction: "
            "minimize}</code>.</p>\n";
  }

  std::map<std::string, size_t> counts;
  for (const RunData& run : study.runs) ++counts[run.status];
  html += "<p id=\"status-counts\">" + std::to_string(study.runs.size()) + " run" +
          (study.runs.size() == 1 ? "" : "s") + ":";
  bool first = true;
  for (const auto& [status, count] : counts) {
    html += std::string(first ? " " : ", ") + "<span class=\"status " + EscapeXml(status) +
            "\">" + std::to_string(count) + " " + EscapeXml(status) + "</span>";
    first = false;
  }
  html += ".</p>\n";

  const ComputeSummary c = SummarizeCompute(study);
  if (c.executions > 0) {
    html += "<p id=\"compute\">Compute: " + Duration(c.computed_s) + " in " +
            std::to_string(c.executions - c.cached) + " stage executions. ";
    if (c.uses > c.executions) {
      html += "Sharing saved " + Duration(c.shared_saved_s) + " (" + std::to_string(c.uses) +
              " stage uses by runs, " + std::to_string(c.executions) + " distinct)";
    } else {
      html += "No stage was shared between runs";
    }
    if (c.cached > 0) {
      html += "; the cache saved " + Duration(c.cached_saved_s) + " (" +
              std::to_string(c.cached) + " executions computed before this study's runs)";
    } else {
      html += "; nothing came from the cache";
    }
    html += ".</p>\n";
  }
  return html + "</section>\n";
}

}  // namespace pipeline::report
