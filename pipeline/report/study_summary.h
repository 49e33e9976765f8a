#pragma once
// The study at a glance, for the top of its report: which metric the study is judged by (its
// objective), the best run by it against the median run, how many runs ended in each state, and
// how much stage time was computed, shared between runs and taken from the cache.
//
// The objective is, in order: the `search.objective` of a study with a `search:` block; the
// study's own `objective:` (`objective: {metric: gmm.bic, direction: minimize}`); otherwise the
// first varying final metric of the evaluating stages (kind evaluate: evaluate, cluster_eval,
// ...). Without a stated direction the metric's name says it, as for a search
// (DirectionFromName; maximize when the name does not say).
// A study with neither has no objective and no headline.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/report/study_data.h"

namespace pipeline::report {

struct Objective {
  std::string metric;  // "score.accuracy"
  bool maximize = true;
  std::string source;  // how it was chosen, for the reader: "search.objective", ...
};

std::optional<Objective> StudyObjective(const StudyData& study);

// The best finished run by the objective (the first by number among equals), its value and the
// median over the finished runs that have one.
struct Headline {
  Objective objective;
  const RunData* best = nullptr;
  double value = 0;
  double median = 0;
  size_t compared = 0;  // finished runs with a value
};

std::optional<Headline> FindHeadline(const StudyData& study);

// The final metrics a reader looks at first: the objective, then the other metrics of the
// evaluating stages, then the trainers' validation and training losses and accuracies
// (val_loss, train_accuracy); only those that vary, unless the study has a single run. At most
// `max`; empty without an objective.
std::vector<std::string> HeadlineMetrics(const StudyData& study,
                                         const std::optional<Objective>& objective,
                                         size_t max = 8);

// The parameters that set the headline run apart: a search's sampled values, else the swept
// parameters ("pca.components" → "64").
std::vector<std::pair<std::string, std::string>> HeadlineParams(const StudyData& study,
                                                                const RunData& run);

// Stage time, over the distinct stage executions the study's runs use. Each use of an
// execution by a run would have cost its duration; sharing it between runs saved all uses but
// one; an execution that had finished before the first of its runs started was taken from the
// cache (computed by another study, or by an earlier invocation of this one).
struct ComputeSummary {
  size_t uses = 0;             // (run, stage) pairs
  size_t executions = 0;       // distinct stage executions
  size_t cached = 0;           // of which taken from the cache
  double computed_s = 0;       // time of the executions computed for this study
  double shared_saved_s = 0;   // time of the uses that another run's execution served
  double cached_saved_s = 0;   // time of the cached executions
};

ComputeSummary SummarizeCompute(const StudyData& study);

// The report's first section: <section id="summary"> with the headline, the counts by status and
// the compute line.
std::string SummarySection(const StudyData& study);

}  // namespace pipeline::report
