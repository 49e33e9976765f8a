#include "stages/resample/split.h"

#include <string>

#include "pipeline/errors.h"
#include "stages/resample/class_counts.h"

// Implementation notes. Every group is shuffled once, then laid out as
//   [test | validation | train]
// in shuffled order, so the test part of a given seed does not change when only `validation`
// changes. Folds use the same shuffled order of the train tail, so they need no more random
// numbers.

namespace stages {
namespace {

void CheckFraction(double value, const char* name) {
  if (!(value >= 0.0 && value < 1.0)) {
    throw pipeline::StageError(std::string("split: '") + name + "' = " + std::to_string(value) +
                               " must be in [0, 1)");
  }
}

}  // namespace

SplitAssignment AssignSplit(const std::vector<int32_t>& labels, int64_t examples,
                            int64_t classes, const SplitOptions& options,
                            const pipeline::Rng& rng) {
  CheckFraction(options.validation, "validation");
  CheckFraction(options.test, "test");
  if (options.validation + options.test >= 1.0) {
    throw pipeline::StageError("split: validation + test = " +
                               std::to_string(options.validation + options.test) +
                               " leaves no training examples; make the sum less than 1");
  }

  std::vector<std::vector<int64_t>> groups;
  if (options.stratify) {
    groups = ClassMembers(labels, classes);
  } else {
    groups.assign(1, std::vector<int64_t>(static_cast<size_t>(examples)));
    for (int64_t i = 0; i < examples; ++i) groups[0][static_cast<size_t>(i)] = i;
  }
  std::vector<int64_t> sizes(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) sizes[g] = static_cast<int64_t>(groups[g].size());

  // Test first, then validation within what test left, so no group is over-drawn.
  const std::vector<int64_t> test_quota = ProportionalQuotas(sizes, options.test);
  std::vector<int64_t> room(sizes.size());
  for (size_t g = 0; g < sizes.size(); ++g) room[g] = sizes[g] - test_quota[g];
  const std::vector<int64_t> validation_quota =
      ProportionalQuotas(sizes, options.validation, room);

  SplitAssignment out;
  out.part.assign(static_cast<size_t>(examples), static_cast<int32_t>(Part::kTrain));
  const bool with_folds = options.folds >= 2;
  if (with_folds) out.fold.assign(static_cast<size_t>(examples), -1);
  int64_t dealt = 0;  // train examples dealt to folds so far, across groups
  for (size_t g = 0; g < groups.size(); ++g) {
    std::vector<int64_t>& members = groups[g];
    pipeline::Rng group_rng = rng.Fork(g);
    group_rng.Shuffle(members);
    const size_t test_end = static_cast<size_t>(test_quota[g]);
    const size_t validation_end = test_end + static_cast<size_t>(validation_quota[g]);
    for (size_t k = 0; k < members.size(); ++k) {
      const size_t i = static_cast<size_t>(members[k]);
      if (k < test_end) {
        out.part[i] = static_cast<int32_t>(Part::kTest);
      } else if (k < validation_end) {
        out.part[i] = static_cast<int32_t>(Part::kValidation);
      } else if (with_folds) {
        out.fold[i] = static_cast<int32_t>(dealt % options.folds);
        ++dealt;
      }
    }
  }
  return out;
}

PartChoice ParsePartChoice(const std::string& name) {
  if (name == "train") return PartChoice::kTrain;
  if (name == "validation") return PartChoice::kValidation;
  if (name == "test") return PartChoice::kTest;
  if (name == "all") return PartChoice::kAll;
  throw pipeline::StageError("unknown part '" + name + "'; use train, validation, test or all");
}

std::vector<int64_t> SelectPart(const std::vector<int32_t>& part,
                                const std::vector<int32_t>& folds, PartChoice choice,
                                int64_t fold) {
  const bool by_fold = fold >= 0 && (choice == PartChoice::kTrain ||
                                     choice == PartChoice::kValidation);
  if (by_fold && folds.size() != part.size()) {
    throw pipeline::StageError("selecting by fold needs one fold per example (" +
                               std::to_string(folds.size()) + " folds for " +
                               std::to_string(part.size()) + " examples)");
  }
  const auto kTrain = static_cast<int32_t>(Part::kTrain);
  std::vector<int64_t> rows;
  for (size_t i = 0; i < part.size(); ++i) {
    bool keep = false;
    switch (choice) {
      case PartChoice::kAll:
        keep = true;
        break;
      case PartChoice::kTest:
        keep = part[i] == static_cast<int32_t>(Part::kTest);
        break;
      case PartChoice::kTrain:
        keep = by_fold ? part[i] == kTrain && folds[i] != fold : part[i] == kTrain;
        break;
      case PartChoice::kValidation:
        keep = by_fold ? part[i] == kTrain && folds[i] == fold
                       : part[i] == static_cast<int32_t>(Part::kValidation);
        break;
    }
    if (keep) rows.push_back(static_cast<int64_t>(i));
  }
  return rows;
}

}  // namespace stages
