#include "pipeline/reproduce.h"

#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "pipeline/artifact_cache.h"
#include "pipeline/clock.h"
#include "pipeline/dag.h"
#include "pipeline/errors.h"
#include "pipeline/executor.h"
#include "pipeline/rng.h"
#include "pipeline/stage_registry.h"
#include "pipeline/store.h"

namespace pipeline {
namespace {

class CollectingSink : public MetricSink {
 public:
  void LogMetric(const std::string& name, int64_t step, double value, double) override {
    std::lock_guard<std::mutex> lock(mutex_);
    values_[{name, step}] = value;
  }
  std::map<std::pair<std::string, int64_t>, double> values() const { return values_; }

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, int64_t>, double> values_;
};

// Asks the stage to stop once it has logged a metric at `last_step`: a pruned stage re-run to
// the epoch at which the search's pruner stopped it.
class StopAtStepSink : public CollectingSink {
 public:
  explicit StopAtStepSink(int64_t last_step) : last_step_(last_step) {}
  void LogMetric(const std::string& name, int64_t step, double value, double wall) override {
    CollectingSink::LogMetric(name, step, value, wall);
    if (step >= last_step_) reached_ = true;
  }
  std::string StopReason() const override {
    return reached_ ? "stopped at epoch " + std::to_string(last_step_) + " as the stored run"
                    : std::string();
  }

 private:
  int64_t last_step_;
  std::atomic<bool> reached_{false};
};

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Durations and throughputs (e.g. a train stage's epoch_time and images_per_s) measure the
// machine, not the result; they are not expected to repeat.
bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool IsTimingMetric(const std::string& name) {
  return EndsWith(name, "_time") || EndsWith(name, "_per_s") || EndsWith(name, "_seconds");
}

// Stage names of the run's config in an order where inputs come first.
std::vector<std::string> StageOrder(const Json& config) {
  std::vector<std::string> order;
  std::set<std::string> placed;
  while (order.size() < config.size()) {
    const size_t before = order.size();
    for (auto it = config.begin(); it != config.end(); ++it) {
      if (placed.count(it.key())) continue;
      bool ready = true;
      for (const Json& input : it.value().at("inputs")) {
        ready = ready && placed.count(input.get<std::string>());
      }
      if (ready) {
        order.push_back(it.key());
        placed.insert(it.key());
      }
    }
    if (order.size() == before) throw StoreError("the run's stored config has a cycle");
  }
  return order;
}

}  // namespace

bool ReproduceReport::identical() const { return first_difference().empty(); }

std::string ReproduceReport::first_difference() const {
  for (const StageComparison& stage : stages) {
    if (!stage.identical()) return stage.stage;
  }
  return "";
}

ReproduceReport ReproduceRun(Store& store, int64_t run_id, const StageRegistry& registry,
                             Clock& clock, FILE* out, const std::string& results_cache) {
  const auto run = store.LoadRun(run_id);
  if (!run) throw StoreError("no run with id " + std::to_string(run_id) + " in " + store.path());
  const std::string scratch =
      (std::filesystem::temp_directory_path() / ("pipeline-reproduce-" + std::to_string(run_id)))
          .string();
  std::filesystem::remove_all(scratch);
  ArtifactCache cache(scratch);
  const ArtifactCache references(results_cache);
  ReproduceReport report;
  std::map<std::string, ArtifactPtr> outputs;
  std::map<std::string, std::string> keys;
  for (const std::string& name : StageOrder(run->config)) {
    const Json& stage = run->config.at(name);
    StageComparison comparison;
    comparison.stage = name;
    comparison.key = stage.at("key").get<std::string>();
    const StageType* type = registry.Find(stage.at("type").get<std::string>());
    const auto row = store.FindStage(comparison.key);
    std::vector<ArtifactPtr> inputs;
    std::vector<std::string> input_keys;
    bool inputs_ok = true;
    for (const Json& input : stage.at("inputs")) {
      const std::string input_name = input.get<std::string>();
      inputs_ok = inputs_ok && outputs.count(input_name);
      if (inputs_ok) inputs.push_back(outputs[input_name]);
      input_keys.push_back(keys[input_name]);
    }
    comparison.pruned = row && row->status == status::kPruned;
    if (run->status == status::kPruned && (!row || row->status == status::kSkipped)) {
      comparison.not_run = true;
      std::fprintf(out, "  %-16s not run   (the stored run was pruned before it)\n", name.c_str());
      report.stages.push_back(std::move(comparison));
      continue;
    }
    if (!type) {
      comparison.detail = "stage type '" + stage.at("type").get<std::string>() + "' no longer exists";
    } else if (!row || (row->status != status::kDone && !comparison.pruned)) {
      comparison.detail = "the stage never finished in the stored run";
    } else if (row->code_version != type->code_version) {
      comparison.detail = "the stage's code version changed (stored " +
                          std::to_string(row->code_version) + ", now " +
                          std::to_string(type->code_version) + ")";
    } else if (!inputs_ok) {
      comparison.detail = "an input stage could not be reproduced";
    } else if (StageKey(*type, stage.at("params"), input_keys, run->seed) != comparison.key) {
      comparison.detail = "the recorded parameters no longer hash to the stored stage key";
    }
    keys[name] = comparison.key;
    if (comparison.detail.empty()) {
      StageExecution execution;
      execution.type = type;
      execution.key = comparison.key;
      execution.stage_name = name;
      execution.params = stage.at("params");
      execution.inputs = inputs;
      execution.seed = DeriveStageSeed(run->seed, comparison.key);
      execution.threads = std::max(1, row->threads);
      execution.reference_cache = &references;
      const auto stored = store.LoadMetrics(comparison.key);
      int64_t last_step = 0;
      for (const MetricRow& m : stored) last_step = std::max(last_step, m.step);
      std::unique_ptr<CollectingSink> sink = comparison.pruned
                                                 ? std::make_unique<StopAtStepSink>(last_step)
                                                 : std::make_unique<CollectingSink>();
      const StageOutcome outcome = ExecuteStage(execution, cache, clock, *sink, nullptr);
      const std::string expected = comparison.pruned ? status::kPruned : status::kDone;
      if (outcome.status != expected) {
        comparison.detail = "re-execution " + outcome.status + " (stored: " + row->status +
                            ")" + (outcome.error.empty() ? "" : ": " + outcome.error);
      } else {
        if (!comparison.pruned) {
          outputs[name] = outcome.output;
          comparison.output_identical = outcome.commit.output_hash == row->output_hash;
          if (!comparison.output_identical) comparison.detail = "output hash differs";
        }
        auto fresh = sink->values();
        std::map<std::pair<std::string, int64_t>, double> stored_values;
        for (const MetricRow& m : stored) {
          if (!IsTimingMetric(m.name)) stored_values[{m.name, m.step}] = m.value;
        }
        for (auto it = fresh.begin(); it != fresh.end();) {
          it = IsTimingMetric(it->first.first) ? fresh.erase(it) : std::next(it);
        }
        comparison.metrics_compared = std::max(fresh.size(), stored_values.size());
        for (const auto& [id, value] : stored_values) {
          auto it = fresh.find(id);
          if (it == fresh.end() || !SameBits(it->second, value)) {
            if (comparison.metrics_differing++ == 0 && comparison.detail.empty()) {
              comparison.detail = "metric '" + id.first + "' step " + std::to_string(id.second) +
                                  ": stored " + std::to_string(value) + ", now " +
                                  (it == fresh.end() ? "missing" : std::to_string(it->second));
            }
          }
        }
        if (fresh.size() != stored_values.size() && comparison.detail.empty()) {
          comparison.detail = "the number of metric values differs";
        }
      }
    }
    std::fprintf(out, "  %-16s %s  %zu metric value(s)%s%s%s\n", name.c_str(),
                 comparison.identical() ? "identical" : "DIFFERS  ", comparison.metrics_compared,
                 comparison.pruned ? " up to the epoch it was pruned at" : "",
                 comparison.detail.empty() ? "" : " — ", comparison.detail.c_str());
    std::fflush(out);
    report.stages.push_back(std::move(comparison));
  }
  std::filesystem::remove_all(scratch);
  return report;
}

}  // namespace pipeline
