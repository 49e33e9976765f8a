#include "stages/resample/resample_stage.h"

#include <algorithm>

#include "pipeline/errors.h"
#include "stages/resample/class_counts.h"
#include "stages/resample/class_weights.h"
#include "stages/resample/labeled_rows.h"
#include "stages/resample/sampling.h"

namespace stages {
namespace {

using pipeline::ParamSpec;

pipeline::StageType ResampleType(const char* name, const char* help, bool uses_rng) {
  pipeline::StageType type;
  type.name = name;
  type.kind = pipeline::StageKind::kResample;
  type.help = help;
  type.code_version = 1;
  type.uses_rng = uses_rng;
  type.min_inputs = 1;
  type.max_inputs = 1;
  return type;
}

void RunSubset(pipeline::StageContext& ctx) {
  SubsetOptions options;
  options.limit = ctx.params().GetInt("limit");
  options.shuffle = ctx.params().GetBool("shuffle");
  options.stratified = ctx.params().GetBool("stratified");
  const std::vector<int64_t> wanted = ctx.params().GetIntList("classes");
  std::vector<int32_t> labels;
  int64_t classes = 0;
  if (options.stratified || !wanted.empty()) {
    labels = InputLabels(ctx);
    classes = InputClassCount(ctx, labels);
  }
  if (wanted.empty()) {
    PutSelectedRows(ctx, SubsetRows(labels, ExampleCount(ctx), classes, options, ctx.rng()));
  } else {
    // Only the rows of the wanted classes, in input order; then the subset among them.
    CheckChosenClasses(wanted, classes);
    std::vector<int64_t> candidates;
    std::vector<int32_t> candidate_labels;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (std::find(wanted.begin(), wanted.end(), labels[i]) == wanted.end()) continue;
      candidates.push_back(static_cast<int64_t>(i));
      candidate_labels.push_back(labels[i]);
    }
    std::vector<int64_t> rows = SubsetRows(candidate_labels,
                                           static_cast<int64_t>(candidates.size()), classes,
                                           options, ctx.rng());
    for (int64_t& row : rows) row = candidates[static_cast<size_t>(row)];
    PutSelectedRows(ctx, rows);
  }
  LogOutputCounts(ctx);
}

void RunImbalance(pipeline::StageContext& ctx) {
  const std::vector<int32_t> labels = InputLabels(ctx);
  const int64_t classes = InputClassCount(ctx, labels);
  const std::vector<int64_t> chosen = ctx.params().GetIntList("classes");
  CheckChosenClasses(chosen, classes);
  const double fraction = ctx.params().GetFloat("fraction");
  if (!(fraction > 0.0)) {
    throw pipeline::StageError("imbalance: 'fraction' must be in (0, 1]; use 'keep' for counts");
  }
  PutSelectedRows(ctx, ImbalanceRows(labels, classes, chosen, fraction,
                                     ctx.params().GetInt("keep"), ctx.rng()));
  LogOutputCounts(ctx);
}

void RunOversample(pipeline::StageContext& ctx) {
  const std::vector<int32_t> labels = InputLabels(ctx);
  const std::vector<int64_t> chosen = ctx.params().GetIntList("classes");
  CheckChosenClasses(chosen, InputClassCount(ctx, labels));
  PutSelectedRows(ctx, OversampleRows(labels, chosen, ctx.params().GetInt("factor")));
  LogOutputCounts(ctx);
}

void RunUndersample(pipeline::StageContext& ctx) {
  const std::vector<int32_t> labels = InputLabels(ctx);
  PutSelectedRows(ctx, UndersampleRows(labels, InputClassCount(ctx, labels),
                                       ctx.params().GetInt("per_class"), ctx.rng()));
  LogOutputCounts(ctx);
}

void RunClassWeights(pipeline::StageContext& ctx) {
  const std::vector<int32_t> labels = InputLabels(ctx);
  const std::vector<int64_t> counts = CountClasses(labels, InputClassCount(ctx, labels));
  const std::vector<double> weights = ctx.params().GetString("scheme") == "uniform"
                                          ? UniformClassWeights(counts)
                                          : BalancedClassWeights(counts);
  PutUnchanged(ctx);
  pipeline::Tensor tensor(pipeline::DType::kFloat32, {static_cast<int64_t>(weights.size())});
  for (size_t c = 0; c < weights.size(); ++c) tensor.f32()[c] = static_cast<float>(weights[c]);
  ctx.output().Put("class_weights", std::move(tensor));
  for (size_t c = 0; c < weights.size(); ++c) {
    ctx.Metric("class_weight", static_cast<int64_t>(c), weights[c]);
  }
  LogOutputCounts(ctx);
}

}  // namespace

pipeline::StageType SubsetStage() {
  pipeline::StageType type =
      ResampleType("subset", "a random subset or permutation of the examples", true);
  type.params = {
      ParamSpec::Int("limit", 0, "examples kept; 0 keeps all").Min(0),
      ParamSpec::Bool("shuffle", true, "random choice and order; false: the first rows in order"),
      ParamSpec::Bool("stratified", false, "keep the class proportions when limiting"),
      ParamSpec::List("classes", pipeline::Json::array(),
                      "keep only examples of these classes ([] = all), e.g. a two-class set"),
  };
  type.run = RunSubset;
  return type;
}

pipeline::StageType ImbalanceStage() {
  pipeline::StageType type = ResampleType(
      "imbalance", "keep only a fraction (or a count) of chosen classes to make them rare", true);
  type.params = {
      ParamSpec::List("classes", nullptr, "classes to thin out, e.g. [6]"),
      ParamSpec::Float("fraction", 1.0,
                       "keep round(fraction * count) of each chosen class (at least 1)")
          .Min(0)
          .Max(1),
      ParamSpec::Int("keep", 0, "if > 0, keep exactly this many of each chosen class instead")
          .Min(0),
  };
  type.run = RunImbalance;
  return type;
}

pipeline::StageType OversampleStage() {
  pipeline::StageType type = ResampleType(
      "oversample", "repeat the examples of chosen classes so each appears factor times", false);
  type.params = {
      ParamSpec::List("classes", nullptr, "classes to repeat, e.g. [6]"),
      ParamSpec::Int("factor", 2, "times each chosen example appears in total (1: unchanged)")
          .Min(1),
  };
  type.run = RunOversample;
  return type;
}

pipeline::StageType UndersampleStage() {
  pipeline::StageType type =
      ResampleType("undersample", "cap every class at per_class random examples", true);
  type.params = {
      ParamSpec::Int("per_class", 0, "most examples kept per class; 0: the smallest class's count")
          .Min(0),
  };
  type.run = RunUndersample;
  return type;
}

pipeline::StageType ClassWeightsStage() {
  pipeline::StageType type = ResampleType(
      "class_weights", "add inverse-frequency class weights for a class-weighted loss", false);
  type.params = {
      ParamSpec::String("scheme", "balanced",
                        "balanced: N / (classes * count), as scikit-learn; uniform: all 1")
          .Choices({"balanced", "uniform"}),
  };
  type.run = RunClassWeights;
  return type;
}

}  // namespace stages
