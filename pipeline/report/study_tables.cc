#include "pipeline/report/study_tables.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "pipeline/errors.h"
#include "pipeline/store.h"

namespace pipeline::report {
namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void RequireMetric(const StudyData& study, const std::string& metric) {
  if (std::find(study.metric_names.begin(), study.metric_names.end(), metric) !=
      study.metric_names.end()) {
    return;
  }
  std::string known;
  for (const std::string& m : study.metric_names) known += (known.empty() ? "" : ", ") + m;
  throw StoreError("study '" + study.name + "' has no metric '" + metric + "' (metrics are " +
                   "named stage.metric; known: " + known + ")");
}

void RequireParam(const StudyData& study, const std::string& param) {
  for (const RunData& run : study.runs) {
    if (run.params.contains(param)) return;
  }
  std::string known;
  for (const std::string& p : study.swept) known += (known.empty() ? "" : ", ") + p;
  throw StoreError("study '" + study.name + "' has no parameter '" + param +
                   "' (swept parameters: " + known + ")");
}

std::vector<std::optional<std::string>> RunPrefix(const StudyData& study, const RunData& run) {
  std::vector<std::optional<std::string>> row = {std::to_string(run.number), run.status};
  for (const std::string& key : study.swept) {
    row.push_back(run.params.contains(key) ? std::optional<std::string>(ValueText(run.params[key]))
                                           : std::nullopt);
  }
  return row;
}

std::vector<std::string> PrefixColumns(const StudyData& study) {
  std::vector<std::string> columns = {"run", "status"};
  columns.insert(columns.end(), study.swept.begin(), study.swept.end());
  return columns;
}

}  // namespace

Table RunsTable(const StudyData& study) {
  Table table;
  table.columns = PrefixColumns(study);
  table.columns.insert(table.columns.end(), study.metric_names.begin(), study.metric_names.end());
  for (const RunData& run : study.runs) {
    auto row = RunPrefix(study, run);
    for (const std::string& m : study.metric_names) {
      auto it = run.finals.find(m);
      row.push_back(it == run.finals.end() ? std::nullopt : std::optional<std::string>(Number(it->second)));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

StatusTables StudyStatus(const StudyData& study) {
  // RunsTable's columns, split: its prefix (run, status, swept parameters) and the metrics that
  // differ stay per run; a metric with the same text in every row (of two or more) moves to
  // shared_metrics, since a column of one repeated value only widens the table.
  const Table all = RunsTable(study);
  const size_t prefix = PrefixColumns(study).size();
  StatusTables status;
  status.shared_metrics.columns = {"metric", "value"};
  std::vector<size_t> kept;
  for (size_t c = 0; c < all.columns.size(); ++c) {
    const bool shared =
        c >= prefix && all.rows.size() > 1 &&
        std::all_of(all.rows.begin(), all.rows.end(),
                    [&](const auto& row) { return row[c] && row[c] == all.rows[0][c]; });
    if (shared) {
      status.shared_metrics.rows.push_back({all.columns[c], all.rows[0][c]});
    } else {
      kept.push_back(c);
    }
  }
  const bool any_error = std::any_of(study.runs.begin(), study.runs.end(),
                                     [](const RunData& run) { return !run.error.empty(); });
  Table& table = status.runs;
  table.columns.push_back("run_id");
  for (size_t c : kept) table.columns.push_back(all.columns[c]);
  table.columns.push_back("seconds");
  if (any_error) table.columns.push_back("error");
  for (size_t i = 0; i < study.runs.size(); ++i) {
    const RunData& run = study.runs[i];
    std::vector<std::optional<std::string>> row = {std::to_string(run.id)};
    for (size_t c : kept) row.push_back(all.rows[i][c]);
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.2f", run.seconds);
    row.push_back(run.seconds > 0 ? std::optional<std::string>(seconds) : std::nullopt);
    if (any_error) {
      row.push_back(run.error.empty() ? std::nullopt : std::optional<std::string>(run.error));
    }
    table.rows.push_back(std::move(row));
  }
  return status;
}

Table BestRuns(const StudyData& study, const std::string& metric, bool minimize, size_t top) {
  RequireMetric(study, metric);
  std::vector<const RunData*> runs;
  for (const RunData& run : study.runs) {
    if (run.finals.count(metric)) runs.push_back(&run);
  }
  std::stable_sort(runs.begin(), runs.end(), [&](const RunData* a, const RunData* b) {
    return minimize ? a->finals.at(metric) < b->finals.at(metric)
                    : a->finals.at(metric) > b->finals.at(metric);
  });
  Table table;
  table.columns = PrefixColumns(study);
  table.columns.push_back(metric);
  for (size_t i = 0; i < runs.size() && i < top; ++i) {
    auto row = RunPrefix(study, *runs[i]);
    row.push_back(Number(runs[i]->finals.at(metric)));
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table Pivot(const StudyData& study, const std::string& metric, const std::string& row_param,
            const std::string& column_param) {
  RequireMetric(study, metric);
  RequireParam(study, row_param);
  RequireParam(study, column_param);
  std::map<nlohmann::json, std::map<nlohmann::json, std::vector<double>>> cells;
  std::set<nlohmann::json> columns;
  for (const RunData& run : study.runs) {
    auto value = run.finals.find(metric);
    if (value == run.finals.end() || !run.params.contains(row_param) ||
        !run.params.contains(column_param)) {
      continue;
    }
    cells[run.params[row_param]][run.params[column_param]].push_back(value->second);
    columns.insert(run.params[column_param]);
  }
  Table table;
  table.columns.push_back(row_param + " \\ " + column_param);
  for (const auto& c : columns) table.columns.push_back(ValueText(c));
  for (const auto& [r, row_cells] : cells) {
    std::vector<std::optional<std::string>> row = {ValueText(r)};
    for (const auto& c : columns) {
      auto it = row_cells.find(c);
      if (it == row_cells.end()) {
        row.push_back(std::nullopt);
        continue;
      }
      double mean = 0;
      for (double v : it->second) mean += v / it->second.size();
      row.push_back(Number(mean));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table Curve(const StudyData& study, const std::string& metric,
            const std::vector<int64_t>& run_numbers) {
  auto history = study.histories.find(metric);
  if (history == study.histories.end()) {
    std::string known;
    for (const auto& [name, runs] : study.histories) known += (known.empty() ? "" : ", ") + name;
    throw StoreError("study '" + study.name + "' has no per-step metric '" + metric +
                     "' (known: " + (known.empty() ? "none" : known) + ")");
  }
  std::vector<int64_t> runs = run_numbers;
  if (runs.empty()) {
    for (const auto& [number, points] : history->second) runs.push_back(number);
  }
  std::map<int64_t, std::map<int64_t, double>> by_step;
  Table table;
  table.columns.push_back("step");
  for (int64_t number : runs) {
    table.columns.push_back("run " + std::to_string(number));
    auto it = history->second.find(number);
    if (it == history->second.end()) continue;
    for (const HistoryPoint& p : it->second) by_step[p.step][number] = p.value;
  }
  for (const auto& [step, values] : by_step) {
    std::vector<std::optional<std::string>> row = {std::to_string(step)};
    for (int64_t number : runs) {
      auto it = values.find(number);
      row.push_back(it == values.end() ? std::nullopt : std::optional<std::string>(Number(it->second)));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table CompareRuns(Store& store, const std::vector<int64_t>& run_ids) {
  std::vector<RunRow> runs;
  std::vector<std::map<std::string, double>> finals;
  for (int64_t id : run_ids) {
    auto run = store.LoadRun(id);
    if (!run) throw StoreError("no run with id " + std::to_string(id) + " in " + store.path());
    std::map<std::string, double> values;
    store.Query("SELECT stage || '.' || name, value FROM final_metrics WHERE run_id = " +
                    std::to_string(id),
                [&](const auto&, const std::vector<std::optional<std::string>>& v) {
                  if (v[1]) values[v[0].value_or("")] = std::stod(*v[1]);
                });
    runs.push_back(std::move(*run));
    finals.push_back(std::move(values));
  }
  Table table;
  table.columns.push_back("");
  for (const RunRow& run : runs) table.columns.push_back("run " + std::to_string(run.id));
  std::set<std::string> keys;
  for (const RunRow& run : runs) {
    for (auto it = run.params.begin(); it != run.params.end(); ++it) keys.insert(it.key());
  }
  for (const std::string& key : keys) {
    std::set<std::string> distinct;
    std::vector<std::optional<std::string>> row = {key};
    for (const RunRow& run : runs) {
      const std::string v = run.params.contains(key) ? ValueText(run.params[key]) : "(absent)";
      distinct.insert(v);
      row.push_back(v);
    }
    if (distinct.size() > 1) table.rows.push_back(std::move(row));
  }
  std::set<std::string> metrics;
  for (const auto& f : finals) {
    for (const auto& [name, value] : f) metrics.insert(name);
  }
  for (const std::string& name : metrics) {
    std::vector<std::optional<std::string>> row = {name};
    for (const auto& f : finals) {
      auto it = f.find(name);
      row.push_back(it == f.end() ? std::nullopt : std::optional<std::string>(Number(it->second)));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table ExportRuns(const StudyData& study) {
  std::set<std::string> keys;
  for (const RunData& run : study.runs) {
    for (auto it = run.params.begin(); it != run.params.end(); ++it) keys.insert(it.key());
  }
  Table table;
  table.columns = {"run", "status"};
  table.columns.insert(table.columns.end(), keys.begin(), keys.end());
  table.columns.insert(table.columns.end(), study.metric_names.begin(), study.metric_names.end());
  for (const RunData& run : study.runs) {
    std::vector<std::optional<std::string>> row = {std::to_string(run.number), run.status};
    for (const std::string& key : keys) {
      row.push_back(run.params.contains(key) ? std::optional<std::string>(ValueText(run.params[key]))
                                             : std::nullopt);
    }
    for (const std::string& m : study.metric_names) {
      auto it = run.finals.find(m);
      row.push_back(it == run.finals.end() ? std::nullopt : std::optional<std::string>(Number(it->second)));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table ExportHistory(const StudyData& study, const std::string& metric) {
  auto history = study.histories.find(metric);
  if (history == study.histories.end()) return Curve(study, metric, {});  // throws with names
  Table table;
  table.columns = {"run", "step", "value"};
  for (const auto& [number, points] : history->second) {
    for (const HistoryPoint& p : points) {
      table.rows.push_back({std::to_string(number), std::to_string(p.step), Number(p.value)});
    }
  }
  return table;
}

}  // namespace pipeline::report
