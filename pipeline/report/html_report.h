#pragma once
// One self-contained HTML page per study, what matters first: the summary (the best run by the
// study's objective against the median, counts by status, compute and what sharing and the
// cache saved), the failures with their reasons, a search's progress, the charts by importance
// (objective, losses and accuracies; then each parameter's effect; diagnostics folded), the runs
// table (swept parameters and headline metrics; constant metrics on one line; the rest folded),
// every picture the stages wrote (inline PNG), the grid and the study file. Charts are inline
// SVG laid out by CSS grid; no network access is needed to view it.

#include <string>
#include <vector>

#include "pipeline/report/study_data.h"

namespace pipeline::report {

// A picture whose bytes no longer match the content hash recorded when its stage ran is not
// embedded: the page lists it as corrupt instead, and so does `problems` (one line each) if
// given. A missing or unreadable picture is listed the same way.
std::string RenderHtmlReport(const StudyData& study, std::vector<std::string>* problems = nullptr);

std::string Base64(const std::string& bytes);

}  // namespace pipeline::report
