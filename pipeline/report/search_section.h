#pragma once
// The "Search" section of a study report, for studies whose runs are the trials of a search:
//   - the best objective so far against the trial number (a step line over the done trials'
//     values; pruned trials as small grey marks at the value they were stopped with);
//   - the objective against each searched parameter, one small scatter each, on a log axis for
//     log distributions and a categorical one for choices (pruned trials grey again);
//   - a table: trials by state, pruned trials per epoch, epochs spent, the best trial.
// The searched space comes from the study text (ParseSearchConfig); when that no longer parses,
// from the trials' own parameters, on linear axes.

#include <string>

#include "pipeline/report/study_data.h"

namespace pipeline::report {

// The colour of pruned trials in every chart of a search report.
inline constexpr const char* kPrunedColor = "#c4c4c4";

// HTML with an <h2>, or "" when the study has no trials.
std::string SearchSection(const StudyData& study);

}  // namespace pipeline::report
