#pragma once
// SearchSpace: the parameters a search samples, each with its distribution, and the trials so
// far as a sampler sees them. Written in the study file as
//
//   lr: {loguniform: [1e-4, 1e-1]}     uniform: [a, b]   int: [a, b]   logint: [a, b]
//   act: {choice: [relu, tanh]}
//
// anywhere a value may stand, also inside nested maps and lists (`model.optimizer.lr`,
// `model.layers[1].out`). search_config.h finds them; samplers (sampler.h) draw from them.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/params.h"
#include "pipeline/study.h"

namespace pipeline {

enum class DistributionKind { kUniform, kLogUniform, kInt, kLogInt, kChoice };

struct Distribution {
  DistributionKind kind = DistributionKind::kUniform;
  double low = 0;   // inclusive bounds; for kInt / kLogInt whole numbers
  double high = 1;
  std::vector<Json> choices;  // kChoice only, in file order

  bool log() const {
    return kind == DistributionKind::kLogUniform || kind == DistributionKind::kLogInt;
  }
  bool integer() const {
    return kind == DistributionKind::kInt || kind == DistributionKind::kLogInt;
  }
  // "loguniform", "int", ...: the key as written in the study file.
  const char* name() const;
};

// One searched value: where it sits in the study ("model.optimizer.lr", "model.layers[1].out")
// and what it is drawn from.
struct SearchParam {
  std::string path;
  Distribution distribution;
  SourceMark mark;
};

using SearchSpace = std::vector<SearchParam>;

// Trial states as stored in `trials.state`.
namespace trial_state {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kDone = "done";
inline constexpr const char* kPruned = "pruned";
inline constexpr const char* kFailed = "failed";
}  // namespace trial_state

// One trial as a sampler sees it.
struct TrialRecord {
  int64_t number = 0;           // 1-based, in the order the trials were proposed
  std::vector<Json> values;     // aligned with the SearchSpace: a number, or one of `choices`
  std::string state;            // trial_state::k*
  double value = 0;             // the objective; meaningful when state == kDone
  int64_t step = 0;             // kPruned: the last step the pruner saw
  double intermediate = 0;      // kPruned: the pruner's metric at that step
};

enum class Direction { kMinimize, kMaximize };

// A metric value for messages and progress lines: four significant digits ("0.8817").
std::string FormatMetric(double value);

}  // namespace pipeline
