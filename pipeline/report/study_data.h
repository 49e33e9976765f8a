#pragma once
// StudyData: everything the report and the query kit need about one study, read from the
// results database in a handful of queries: its runs with their parameters and final metrics,
// which parameters vary, the per-step histories, the stage executions the runs share and the
// pictures its stages wrote.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipeline {
class StageRegistry;
class Store;
}

namespace pipeline::report {

struct RunData {
  int64_t id = 0;
  int64_t number = 0;
  std::string status;
  std::string variant;
  std::string error;
  double seconds = 0;
  double started_at = 0;                  // wall-clock seconds; 0 until it ran
  nlohmann::json params;                  // flat "stage.param" → value
  std::map<std::string, double> finals;   // "stage.metric" → final value
  std::map<std::string, std::string> stage_keys;  // stage name → the key of its execution
};

// One stage execution (a row of `stages`) used by some of the study's runs. Runs that share it
// share its metrics: its curves are one line, not one per run.
struct StageExecutionData {
  std::string key;
  std::string stage;          // its name in the study
  std::string type;           // its stage type ("pca")
  std::string status;
  double duration_s = 0;      // 0 when it never finished
  double finished_at = 0;
  std::vector<int64_t> runs;  // numbers of the study's runs that use it, ascending
};

// What the report knows about a stage's type. `kind` and `step_unit` come from the stage
// registry (empty when the study was loaded without one, or the type is no longer known).
struct StageTypeData {
  std::string type;       // "train"
  std::string kind;       // StageKindName: "evaluate", "train", ...
  std::string step_unit;  // StageType::step_unit: "epoch", "iteration", ...
};

struct HistoryPoint {
  int64_t step = 0;
  double value = 0;
};

struct StageFileData {
  std::string stage;
  std::string name;
  std::string path;
  std::string content_hash;   // as recorded when the stage ran (artifacts.content_hash)
  std::vector<int64_t> runs;  // run numbers that use it
};

// One trial of a search study (the `trials` table), with its run's number.
struct TrialData {
  int64_t number = 0;
  int64_t run_number = 0;  // 0: no run yet
  nlohmann::json params;   // "model.optimizer.lr" → sampled value
  std::string state;       // running, done, pruned or failed
  double value = 0;        // done: the objective
  int64_t step = 0;        // pruned: the last step the pruner saw
  double intermediate = 0; // pruned: the pruner's metric there
};

struct StudyData {
  std::string name;
  std::string file;
  std::string text;
  std::vector<RunData> runs;  // by number
  std::vector<std::string> stage_order;            // stage names, inputs first
  std::vector<std::string> swept;                  // params that differ between runs
  std::vector<std::string> metric_names;           // "stage.metric" of final metrics, stage order
  // "stage.metric" → run number → points, for metrics with more than one step.
  std::map<std::string, std::map<int64_t, std::vector<HistoryPoint>>> histories;
  std::vector<StageFileData> pictures;             // PNG files written by stages
  std::vector<TrialData> trials;                   // search studies only, by number
  std::vector<StageExecutionData> executions;      // by stage order, then first run
  std::map<std::string, StageTypeData> stage_types;  // stage name → its type
};

// Throws StoreError if the study does not exist (naming the known studies). With a registry,
// stage_types also hold each type's kind and step unit.
StudyData LoadStudyData(Store& store, const std::string& study,
                        const StageRegistry* registry = nullptr);

// What the steps of a per-step metric ("model.train_loss") count, as its stage type declares
// ("epoch"); "step" when undeclared.
std::string StepUnit(const StudyData& study, const std::string& metric);

// The swept parameters as a reader names them: a map-valued one ("model.optimizer") by the
// entries inside it that differ between runs ("model.optimizer.lr"); lists and scalars whole.
// In the order of `swept`.
std::vector<std::string> SweptPaths(const StudyData& study);

// A run's value at a parameter path: a key of its params ("pca.components") or an entry inside
// a map-valued one ("model.optimizer.lr"); nullptr when the run has none.
const nlohmann::json* ParamValue(const RunData& run, const std::string& path);

// "pca.components=16 kmeans.k=10" for the swept params of a run ("run N" if none vary).
std::string RunLabel(const StudyData& study, const RunData& run);

// The run's swept values (variant overrides that are maps or lists left out: the variant's
// name says them), as key and text, texts longer than `max_chars` cut with "...".
std::vector<std::pair<std::string, std::string>> SweptValues(const StudyData& study,
                                                             const RunData& run,
                                                             size_t max_chars);

// A JSON value as short text ("16", "adam", "0.001").
std::string ValueText(const nlohmann::json& value);

}  // namespace pipeline::report
