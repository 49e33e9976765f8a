#pragma once
// The only interface a stage sees. A stage type is a declaration (name, kind, parameters, code
// version) plus a function that reads its inputs and parameters from a StageContext and writes
// its output artifact, metrics and files back into it. Stages never open the database, never
// read globals, never use more threads than `threads()`, and draw every random number from
// `rng()`.
//
// Stage types are listed explicitly in stages/builtin_stages.cc.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/artifact.h"
#include "pipeline/params.h"
#include "pipeline/rng.h"

namespace pipeline {

class Clock;

enum class StageKind { kLoad, kAugment, kResample, kReduce, kCluster, kTrain, kEvaluate };
const char* StageKindName(StageKind kind);

// How a kStageRef parameter's resolved value names a stage: "stage:<key>".
std::string StageRefValue(const std::string& key);
// The key in a resolved kStageRef value, or "" when it names no stage.
std::string StageRefKey(const Json& value);

// Receives metrics as a stage produces them. Implementations must be cheap (microseconds) and
// thread-safe: a stage may log from several threads.
class MetricSink {
 public:
  virtual ~MetricSink() = default;
  virtual void LogMetric(const std::string& name, int64_t step, double value,
                         double wall_time) = 0;
  // Non-empty once whoever watches the metrics wants the stage to stop early (a search's
  // pruner): the reason. The stage stops at its next CheckCancelled().
  virtual std::string StopReason() const { return {}; }
};

class StageContext;

struct StageType {
  std::string name;  // the YAML `type:` and the file name, e.g. "kmeans"
  StageKind kind = StageKind::kLoad;
  std::string help;  // one line for `pipeline stages`
  // Bump when the stage's results would change; it is part of every cache key.
  int code_version = 1;
  // Whether the stage draws random numbers. Stages that do not are shared across seeds.
  bool uses_rng = false;
  int min_inputs = 0;
  int max_inputs = 0;
  // What the `step` of this type's step-wise metrics counts ("epoch", "iteration",
  // "component"); the report labels their x axis with it. Empty: undeclared, drawn against
  // "step". (Metrics whose step is a class or an example id are not step-wise in this sense;
  // the report leaves them out of its charts.)
  std::string step_unit;
  std::vector<ParamSpec> params;
  std::function<void(StageContext&)> run;
  // Optional: checks one stage instance's resolved parameters when the study is expanded,
  // before anything runs (a network's layer list, an optimiser's settings), so mistakes inside
  // structured parameters are reported with the file, line and key like any other. Throws
  // ConfigError whose key_path() is the parameter's name.
  std::function<void(const Params&)> check;

  const ParamSpec* FindParam(const std::string& param) const;
};

// A file the stage wrote next to its output (a picture, a CSV table).
struct StageFile {
  std::string name;  // file name inside the stage's output folder
  std::string kind;  // "png", "csv", "json", ...
};

// Everything a running stage may touch. Created by the executor for one execution; not shared
// between stages. Metric() and CheckCancelled() are thread-safe, the rest is for the stage's
// own thread.
class StageContext {
 public:
  StageContext(const StageType& type, Params params, std::vector<ArtifactPtr> inputs,
               uint64_t seed, Clock& clock, int threads, MetricSink& metrics,
               std::string output_dir, const std::atomic<bool>* cancel_flag);

  const StageType& type() const { return type_; }
  const Params& params() const { return params_; }

  size_t num_inputs() const { return inputs_.size(); }
  const Artifact& input(size_t index) const;
  // The tensor `name` from the first input that has it; throws StageError naming what the
  // inputs hold when none does.
  const Tensor& FindInput(const std::string& name) const;
  const Tensor* FindInputOrNull(const std::string& name) const;
  // The first input's metadata merged with later inputs' (earlier wins).
  Json InputMeta() const;

  Rng& rng() { return rng_; }
  uint64_t seed() const { return seed_; }
  Clock& clock() { return clock_; }
  int threads() const { return threads_; }

  // Records a metric; a non-finite value fails the stage with a StageError naming it.
  void Metric(const std::string& name, int64_t step, double value);
  void Metric(const std::string& name, double value) { Metric(name, 0, value); }

  Artifact& output() { return output_; }
  // A path inside the stage's (temporary) output folder for a file the stage writes; the file
  // is recorded as an artifact row of the given kind once the stage succeeds.
  std::string FilePath(const std::string& file_name, const std::string& kind);
  const std::vector<StageFile>& files() const { return files_; }

  // A folder for progress that should survive an interrupted or failed attempt of this stage
  // (a trainer's state after each epoch), so the next attempt continues from it; removed once
  // the stage succeeds. Empty when the caller offers none (tests, reproduce). A stage that
  // resumes must produce exactly what an uninterrupted attempt would.
  const std::string& resume_dir() const { return resume_dir_; }
  void set_resume_dir(std::string dir) { resume_dir_ = std::move(dir); }

  // The output of the stage a kStageRef parameter names (see params.h), loaded by the
  // executor; nullptr when the parameter is empty or holds something else (a file path).
  const Artifact* Reference(const std::string& param) const;
  void set_reference(const std::string& param, ArtifactPtr artifact);

  // Throws Interrupted after Ctrl-C, or Pruned once the metric sink asks the stage to stop
  // (MetricSink::StopReason); long loops call it once per iteration.
  void CheckCancelled() const;
  bool cancelled() const;

 private:
  const StageType& type_;
  Params params_;
  std::vector<ArtifactPtr> inputs_;
  std::map<std::string, ArtifactPtr> references_;
  uint64_t seed_;
  Rng rng_;
  Clock& clock_;
  int threads_;
  MetricSink& metrics_;
  std::string output_dir_;
  std::string resume_dir_;
  const std::atomic<bool>* cancel_flag_;
  Artifact output_;
  std::vector<StageFile> files_;
};

}  // namespace pipeline
