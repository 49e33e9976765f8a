#pragma once
// The "Runs" section of a study report: one row per run, with the columns a reader compares
// first. Of the final metrics, those with the same value in every run (two or more runs) are not
// columns but one "same for every run" line above the table; the headline metrics
// (study_summary.h: the objective first) follow the swept parameters; the metrics that vary but
// are not headline sit in a second table behind a toggle (<details>, no script needed). An
// inline script, if the browser runs it, sorts a table by the clicked column.

#include <string>
#include <utility>
#include <vector>

#include "pipeline/report/study_data.h"

namespace pipeline::report {

struct RunsColumns {
  // The swept parameters (a search: its sampled values), the seed last.
  std::vector<std::string> params;
  // Headline metrics; without an objective, the varying metrics of the last stage with any.
  std::vector<std::string> headline;
  std::vector<std::string> others;  // the other metrics that vary (or of a single run)
  std::vector<std::pair<std::string, std::string>> constant;  // metric, its one value
};

RunsColumns ChooseRunsColumns(const StudyData& study);

// <section id="runs"> with the constant line, the runs table and the folded table of the rest.
std::string RunsSection(const StudyData& study);

// The script that makes every table.sortable sortable by clicking its header.
const char* SortScript();

}  // namespace pipeline::report
