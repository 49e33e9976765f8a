#pragma once
// One self-contained HTML page per study: the study file, the grid, a sortable table of runs
// with their parameters and final metrics, the failures with their reasons, every chart (inline
// SVG) and every picture the stages wrote (inline PNG). No network access is needed to view it.

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
