#include "stages/resample/split_stage.h"

#include <algorithm>
#include <string>

#include "pipeline/errors.h"
#include "stages/resample/labeled_rows.h"
#include "stages/resample/split.h"

namespace stages {
namespace {

void RunSplit(pipeline::StageContext& ctx) {
  SplitOptions options;
  options.validation = ctx.params().GetFloat("validation");
  options.test = ctx.params().GetFloat("test");
  options.stratify = ctx.params().GetBool("stratify");
  options.folds = ctx.params().GetInt("folds");

  const int64_t examples = ExampleCount(ctx);
  std::vector<int32_t> labels;
  int64_t classes = 1;
  if (options.stratify) {
    labels = InputLabels(ctx);
    classes = InputClassCount(ctx, labels);
  }
  const SplitAssignment assignment =
      AssignSplit(labels, examples, classes, options, ctx.rng());

  pipeline::Artifact& out = ctx.output();
  for (const auto& [name, tensor] : ctx.input(0).tensors()) {
    // A "fold" from an earlier split would describe a different partition.
    if (name != "split" && name != "fold") out.Put(name, tensor);
  }
  out.meta() = ctx.InputMeta();
  out.Put("split", pipeline::Tensor::FromVector(assignment.part));
  if (!assignment.fold.empty()) out.Put("fold", pipeline::Tensor::FromVector(assignment.fold));

  int64_t part_sizes[3] = {0, 0, 0};
  for (int32_t part : assignment.part) ++part_sizes[part];
  ctx.Metric("train_examples", static_cast<double>(part_sizes[0]));
  ctx.Metric("validation_examples", static_cast<double>(part_sizes[1]));
  ctx.Metric("test_examples", static_cast<double>(part_sizes[2]));
  LogOutputCounts(ctx);
}

void RunTake(pipeline::StageContext& ctx) {
  const PartChoice choice = ParsePartChoice(ctx.params().GetString("part"));
  const int64_t fold = ctx.params().GetInt("fold");
  const pipeline::Tensor* split = ctx.input(0).Find("split");
  if (split == nullptr) {
    throw pipeline::StageError(
        "take: the input has no 'split' tensor (it holds " + ctx.input(0).Describe() +
        "); put a 'split' stage before 'take' (type: split) and make it take's input");
  }
  std::vector<int32_t> folds;
  const bool by_fold =
      fold >= 0 && (choice == PartChoice::kTrain || choice == PartChoice::kValidation);
  if (by_fold) {
    const pipeline::Tensor* fold_tensor = ctx.input(0).Find("fold");
    if (fold_tensor == nullptr) {
      throw pipeline::StageError("take: fold = " + std::to_string(fold) +
                                 " needs a 'fold' tensor; set 'folds' >= " +
                                 std::to_string(fold + 1) + " on the split stage before it");
    }
    folds = fold_tensor->ToIntVector();
    int32_t largest = -1;
    for (int32_t f : folds) largest = std::max(largest, f);
    if (fold > largest) {
      throw pipeline::StageError("take: fold " + std::to_string(fold) +
                                 " does not exist; the split made folds 0.." +
                                 std::to_string(largest));
    }
  }
  PutSelectedRows(ctx, SelectPart(split->ToIntVector(), folds, choice, fold));
  LogOutputCounts(ctx);
}

}  // namespace

pipeline::StageType SplitStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "split";
  type.kind = pipeline::StageKind::kResample;
  type.help = "assign examples to train/validation/test parts (and k folds), stratified by class";
  type.code_version = 1;
  type.uses_rng = true;
  type.min_inputs = 1;
  type.max_inputs = 1;
  type.params = {
      ParamSpec::Float("validation", 0.1, "fraction held out for validation, in [0, 1)")
          .Min(0)
          .Max(1),
      ParamSpec::Float("test", 0.0, "fraction held out for test, in [0, 1)").Min(0).Max(1),
      ParamSpec::Bool("stratify", true, "keep the class proportions in every part and fold"),
      ParamSpec::Int("folds", 0, "if >= 2, also deal the train part into this many folds")
          .Min(0),
  };
  type.run = RunSplit;
  return type;
}

pipeline::StageType TakeStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "take";
  type.kind = pipeline::StageKind::kResample;
  type.help = "keep the rows of one part made by a split stage (or of one cross-validation fold)";
  type.code_version = 1;
  type.uses_rng = false;
  type.min_inputs = 1;
  type.max_inputs = 1;
  type.params = {
      ParamSpec::String("part", "train", "part to keep")
          .Choices({"train", "validation", "test", "all"}),
      ParamSpec::Int("fold", -1,
                     "-1: ignore folds; f >= 0: train = train part minus fold f, "
                     "validation = fold f")
          .Min(-1),
  };
  type.run = RunTake;
  return type;
}

}  // namespace stages
