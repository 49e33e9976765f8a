#pragma once
// Train/validation/test partitions and k-fold assignments of a labelled set, and the selection
// of one part. The shuffle happens once, here; selecting a part (SelectPart) is deterministic,
// so a partition never depends on which part a later stage keeps.
//
// Encoding (the "split" and "fold" tensors of the split stage):
//   part[i]  0 = train, 1 = validation, 2 = test (enum Part)
//   fold[i]  0..folds-1 for train examples, -1 for validation and test examples

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/rng.h"

namespace stages {

enum class Part : int32_t { kTrain = 0, kValidation = 1, kTest = 2 };

struct SplitOptions {
  double validation = 0.1;  // fraction held out for validation, in [0, 1)
  double test = 0.0;        // fraction held out for test, in [0, 1); validation + test < 1
  bool stratify = true;     // keep the proportions per class (parts and folds)
  int64_t folds = 0;        // >= 2: also assign the train part to this many folds
};

struct SplitAssignment {
  std::vector<int32_t> part;  // one Part per example
  std::vector<int32_t> fold;  // one fold per example; empty when folds < 2
};

// Assigns every example to a part and (with folds >= 2) every train example to a fold.
//
// Each group -- one per class when stratified, else the whole set -- is shuffled with
// rng.Fork(group). The per-group part sizes come from ProportionalQuotas (class_counts.h):
// group g puts test * n_g examples into test and validation * n_g into validation, each
// rounded to within 1 of the exact value so that the part totals are round(fraction * N)
// (unless a tiny group has no room left for its extra unit); the rest go to train. Folds deal the train examples
// out in turn, class after class in the shuffled order, continuing the count across classes
// (as scikit-learn's StratifiedKFold does in spirit), so every fold's size and every fold's
// count of each class are within 1 of equal. Labels are ignored when !stratify (may be given
// as an empty vector with `examples` set).
//
// Throws pipeline::StageError when validation + test >= 1 or a fraction is outside [0, 1).
SplitAssignment AssignSplit(const std::vector<int32_t>& labels, int64_t examples,
                            int64_t classes, const SplitOptions& options,
                            const pipeline::Rng& rng);

// Which rows SelectPart keeps.
enum class PartChoice { kTrain, kValidation, kTest, kAll };

// Parses "train" | "validation" | "test" | "all"; throws pipeline::StageError otherwise.
PartChoice ParsePartChoice(const std::string& name);

// The rows of one part, ascending. With fold >= 0 (k-fold cross-validation), kTrain keeps the
// train examples whose fold != `fold` and kValidation the train examples whose fold == `fold`;
// `folds` must then hold one fold per example. kTest and kAll ignore `fold`.
std::vector<int64_t> SelectPart(const std::vector<int32_t>& part,
                                const std::vector<int32_t>& folds, PartChoice choice,
                                int64_t fold);

}  // namespace stages
