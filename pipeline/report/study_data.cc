#include "pipeline/report/study_data.h"

#include <algorithm>
#include <set>

#include "pipeline/errors.h"
#include "pipeline/stage_registry.h"
#include "pipeline/store.h"

namespace pipeline::report {
namespace {

double ToDouble(const std::optional<std::string>& v) { return v ? std::stod(*v) : 0.0; }

// The paths below `prefix` at which `values` (one per run; nullptr: absent) differ, descending
// into entries that are maps in every run that has them.
void DifferingPaths(const std::vector<const nlohmann::json*>& values, const std::string& prefix,
                    std::vector<std::string>& out) {
  std::set<std::string> keys;
  for (const nlohmann::json* v : values) {
    if (!v || !v->is_object()) continue;
    for (auto it = v->begin(); it != v->end(); ++it) keys.insert(it.key());
  }
  for (const std::string& key : keys) {
    std::vector<const nlohmann::json*> inner;
    bool present = false, maps = true;
    std::set<std::string> distinct;
    for (const nlohmann::json* v : values) {
      const nlohmann::json* child = nullptr;
      if (v && v->is_object()) {
        auto it = v->find(key);
        if (it != v->end()) child = &*it;
      }
      inner.push_back(child);
      present = present || child;
      maps = maps && (!child || child->is_object());
      distinct.insert(child ? child->dump() : "(absent)");
    }
    if (distinct.size() < 2) continue;
    if (present && maps) {
      DifferingPaths(inner, prefix + "." + key, out);
    } else {
      out.push_back(prefix + "." + key);
    }
  }
}

}  // namespace

std::vector<std::string> SweptPaths(const StudyData& study) {
  std::vector<std::string> out;
  for (const std::string& key : study.swept) {
    std::vector<const nlohmann::json*> values;
    bool maps = true, present = false;
    for (const RunData& run : study.runs) {
      auto it = run.params.find(key);
      const nlohmann::json* v = it == run.params.end() ? nullptr : &*it;
      values.push_back(v);
      present = present || v;
      maps = maps && (!v || v->is_object());
    }
    const size_t before = out.size();
    if (present && maps) DifferingPaths(values, key, out);
    if (out.size() == before) out.push_back(key);
  }
  return out;
}

const nlohmann::json* ParamValue(const RunData& run, const std::string& path) {
  if (auto it = run.params.find(path); it != run.params.end()) return &*it;
  // Keys hold dots themselves ("model.optimizer"): try each split, the longest key first.
  for (size_t dot = path.rfind('.'); dot != std::string::npos && dot > 0;
       dot = path.rfind('.', dot - 1)) {
    auto it = run.params.find(path.substr(0, dot));
    if (it == run.params.end() || !it->is_object()) continue;
    const nlohmann::json* value = &*it;
    size_t start = dot + 1;
    while (value) {
      const size_t next = path.find('.', start);
      const std::string part = path.substr(start, next == std::string::npos ? next : next - start);
      if (!value->is_object()) {
        value = nullptr;
        break;
      }
      auto child = value->find(part);
      value = child == value->end() ? nullptr : &*child;
      if (next == std::string::npos) break;
      start = next + 1;
    }
    if (value) return value;
  }
  return nullptr;
}

std::string ValueText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", value.get<double>());
    return buf;
  }
  return value.dump();
}

std::vector<std::pair<std::string, std::string>> SweptValues(const StudyData& study,
                                                             const RunData& run,
                                                             size_t max_chars) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& key : SweptPaths(study)) {
    const nlohmann::json* found = ParamValue(run, key);
    if (key == "variant" || !found) continue;
    const nlohmann::json& value = *found;
    if (!run.variant.empty() && (value.is_object() || value.is_array())) continue;
    std::string text = ValueText(value);
    if (text.size() > max_chars) text = text.substr(0, max_chars - 3) + "...";
    out.emplace_back(key, text);
  }
  return out;
}

std::string RunLabel(const StudyData& study, const RunData& run) {
  // A variant's name says what its overrides are (S10's `dcgan` is two layer lists); other
  // swept values are added, long ones shortened.
  // A search's runs are its trials; their sampled values are in the report's tables.
  for (const TrialData& trial : study.trials) {
    if (trial.run_number == run.number) return "trial " + std::to_string(trial.number);
  }
  std::string label = run.variant;
  for (const auto& [key, text] : SweptValues(study, run, 24)) {
    label += (label.empty() ? "" : " ") + key + "=" + text;
  }
  return label.empty() ? "run " + std::to_string(run.number) : label;
}

std::string StepUnit(const StudyData& study, const std::string& metric) {
  auto it = study.stage_types.find(metric.substr(0, metric.find('.')));
  return it == study.stage_types.end() || it->second.step_unit.empty() ? "step"
                                                                         : it->second.step_unit;
}

StudyData LoadStudyData(Store& store, const std::string& name, const StageRegistry* registry) {
  const auto study = store.FindStudy(name);
  if (!study) {
    std::string known;
    store.Query("SELECT name FROM studies ORDER BY name",
                [&](const auto&, const std::vector<std::optional<std::string>>& v) {
                  known += (known.empty() ? "" : ", ") + v[0].value_or("");
                });
    throw StoreError("no study named '" + name + "' in " + store.path() +
                     (known.empty() ? " (it holds none yet)" : " (known: " + known + ")"));
  }
  StudyData data;
  data.name = study->name;
  data.file = study->file;
  data.text = study->text;
  const std::string id = std::to_string(study->id);

  std::map<int64_t, size_t> by_id;
  for (const RunRow& row : store.LoadRuns(study->id)) {
    RunData run;
    run.id = row.id;
    run.number = row.number;
    run.status = row.status;
    run.variant = row.variant;
    run.error = row.error;
    run.seconds = row.finished_at > row.started_at ? row.finished_at - row.started_at : 0;
    run.started_at = row.started_at;
    run.params = row.params;
    by_id[row.id] = data.runs.size();
    data.runs.push_back(std::move(run));
  }
  std::sort(data.runs.begin(), data.runs.end(),
            [](const RunData& a, const RunData& b) { return a.number < b.number; });
  for (size_t i = 0; i < data.runs.size(); ++i) by_id[data.runs[i].id] = i;

  // Swept parameters: those with more than one distinct value.
  std::map<std::string, std::set<std::string>> values;
  for (const RunData& run : data.runs) {
    for (auto it = run.params.begin(); it != run.params.end(); ++it) {
      values[it.key()].insert(it.value().dump());
    }
  }
  for (const auto& [key, distinct] : values) {
    if (distinct.size() > 1) data.swept.push_back(key);
  }

  // Stage order from the first run's config (inputs first).
  if (!data.runs.empty()) {
    const auto first = store.LoadRun(data.runs.front().id);
    const nlohmann::json& config = first->config;
    std::set<std::string> placed;
    while (placed.size() < config.size()) {
      const size_t before = placed.size();
      for (auto it = config.begin(); it != config.end(); ++it) {
        if (placed.count(it.key())) continue;
        bool ready = true;
        for (const auto& input : it.value().value("inputs", nlohmann::json::array())) {
          ready = ready && placed.count(input.get<std::string>());
        }
        if (ready) {
          placed.insert(it.key());
          data.stage_order.push_back(it.key());
        }
      }
      if (placed.size() == before) break;
    }
  }
  auto stage_rank = [&](const std::string& metric) {
    const std::string stage = metric.substr(0, metric.find('.'));
    auto it = std::find(data.stage_order.begin(), data.stage_order.end(), stage);
    return it - data.stage_order.begin();
  };

  // Metrics whose step is an index (a class, a confusion cell, an example id), not a time:
  // neither curves nor final values make sense for them; the tables show them.
  auto indexed = [](const std::string& name) {
    static const std::set<std::string> kIndexed = {
        "class_count", "class_weight",  "class_accuracy",     "confusion", "confusion_count",
        "misclassified", "misclassified_true", "example_mse", "train_nll"};
    return kIndexed.count(name) > 0;
  };

  std::set<std::string> metric_set;
  store.Query("SELECT f.run_id, f.stage, f.name, f.value FROM final_metrics f JOIN runs r ON "
              "r.id = f.run_id WHERE r.study_id = " + id,
              [&](const auto&, const std::vector<std::optional<std::string>>& v) {
                auto it = by_id.find(std::stoll(v[0].value_or("0")));
                if (it == by_id.end() || !v[3] || indexed(v[2].value_or(""))) return;
                const std::string key = v[1].value_or("") + "." + v[2].value_or("");
                data.runs[it->second].finals[key] = ToDouble(v[3]);
                metric_set.insert(key);
              });
  data.metric_names.assign(metric_set.begin(), metric_set.end());
  std::stable_sort(data.metric_names.begin(), data.metric_names.end(),
                   [&](const std::string& a, const std::string& b) {
                     return stage_rank(a) < stage_rank(b);
                   });

  // Histories of metrics logged at more than one step.
  store.Query(
      "SELECT r.number, rs.stage || '.' || m.name, m.step, m.value, m.name FROM metrics m "
      "JOIN run_stages rs ON rs.stage_key = m.stage_key JOIN runs r ON r.id = rs.run_id "
      "WHERE r.study_id = " + id + " AND (m.stage_key, m.name) IN (SELECT stage_key, name FROM "
      "metrics GROUP BY 1, 2 HAVING count(*) > 1) ORDER BY 1, 2, 3",
      [&](const auto&, const std::vector<std::optional<std::string>>& v) {
        if (!v[3] || indexed(v[4].value_or(""))) return;
        data.histories[v[1].value_or("")][std::stoll(v[0].value_or("0"))].push_back(
            {std::stoll(v[2].value_or("0")), ToDouble(v[3])});
      });

  // A search's trials, with the run numbers their runs have in this study.
  std::map<int64_t, int64_t> number_of_run;
  for (const RunData& run : data.runs) number_of_run[run.id] = run.number;
  for (const TrialRow& row : store.LoadTrials(study->id)) {
    auto run = number_of_run.find(row.run_id);
    data.trials.push_back({row.number, run == number_of_run.end() ? 0 : run->second, row.params,
                           row.state, row.value, row.step, row.intermediate});
  }

  // The stage executions the runs use, and each stage's type (a variant may change a stage's
  // type; the first run's is kept).
  std::map<std::string, size_t> execution_index;
  std::map<int64_t, size_t> index_of_number;
  for (size_t i = 0; i < data.runs.size(); ++i) index_of_number[data.runs[i].number] = i;
  store.Query("SELECT r.number, rs.stage, rs.stage_key, s.type, s.status, s.duration_s, "
              "s.finished_at FROM run_stages rs JOIN stages s ON s.key = rs.stage_key JOIN runs "
              "r ON r.id = rs.run_id WHERE r.study_id = " + id + " ORDER BY r.number",
              [&](const auto&, const std::vector<std::optional<std::string>>& v) {
                const int64_t number = std::stoll(v[0].value_or("0"));
                const std::string stage = v[1].value_or(""), key = v[2].value_or("");
                auto [it, inserted] = execution_index.emplace(key, data.executions.size());
                if (inserted) {
                  data.executions.push_back({key, stage, v[3].value_or(""), v[4].value_or(""),
                                             ToDouble(v[5]), ToDouble(v[6]), {}});
                }
                data.executions[it->second].runs.push_back(number);
                data.stage_types.emplace(stage, StageTypeData{v[3].value_or(""), "", ""});
                auto run = index_of_number.find(number);
                if (run != index_of_number.end()) data.runs[run->second].stage_keys[stage] = key;
              });
  std::stable_sort(data.executions.begin(), data.executions.end(),
                   [&](const StageExecutionData& a, const StageExecutionData& b) {
                     return stage_rank(a.stage + ".") < stage_rank(b.stage + ".");
                   });
  if (registry) {
    for (auto& [stage, type] : data.stage_types) {
      if (const StageType* known = registry->Find(type.type)) {
        type.kind = StageKindName(known->kind);
        type.step_unit = known->step_unit;
      }
    }
  }

  // PNG pictures written by the study's stages, once per stage execution.
  std::map<std::string, size_t> picture_index;
  store.Query("SELECT a.stage_key, rs.stage, a.name, a.path, r.number, a.content_hash FROM "
              "artifacts a JOIN "
              "run_stages rs ON rs.stage_key = a.stage_key JOIN runs r ON r.id = rs.run_id "
              "WHERE r.study_id = " + id + " AND a.kind = 'png' ORDER BY r.number, rs.stage",
              [&](const auto&, const std::vector<std::optional<std::string>>& v) {
                const std::string key = v[0].value_or("") + "/" + v[2].value_or("");
                auto [it, inserted] = picture_index.emplace(key, data.pictures.size());
                if (inserted) {
                  data.pictures.push_back({v[1].value_or(""), v[2].value_or(""), v[3].value_or(""),
                                           v[5].value_or(""), {}});
                }
                data.pictures[it->second].runs.push_back(std::stoll(v[4].value_or("0")));
              });
  return data;
}

}  // namespace pipeline::report
