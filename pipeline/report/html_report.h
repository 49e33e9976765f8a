#pragma once
// One self-contained HTML page per study: the study file, the grid, a sortable table of runs
// with their parameters and final metrics, the failures with their reasons, every chart (inline
// SVG) and every picture the stages wrote (inline PNG). No network access is needed to view it.

#include <string>

#include "pipeline/report/study_data.h"

namespace pipeline::report {

std::string RenderHtmlReport(const StudyData& study);

std::string Base64(const std::string& bytes);

}  // namespace pipeline::report
