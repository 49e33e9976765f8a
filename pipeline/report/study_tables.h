#pragma once
// The short answers to the usual morning questions, as tables computed from StudyData:
// every run with its swept parameters and final metrics, the best runs by a metric, a metric
// pivoted over two parameters, a metric's curve for some runs, and runs compared side by side.
// `pipeline query NAME ...`, `pipeline status STUDY`, `pipeline compare` and `pipeline export`
// print them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/report/study_data.h"

namespace pipeline::report {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// Throws StoreError naming the known metrics/params when a name is unknown.
// Columns of RunsTable: run (number), status, the swept parameters, every final metric.
Table RunsTable(const StudyData& study);

// `pipeline status STUDY`: RunsTable's rows with the run's id first (what `pipeline show`
// takes) and its wall time in seconds last (NULL until it finished), then "error" when some
// run has one. With two or more runs, a final metric with the same value in every run is not a
// column of `runs` but a row (metric, value) of `shared_metrics`. Like RunsTable, the metrics
// indexed by class or example (study_data.cc) are left out.
struct StatusTables {
  Table runs;
  Table shared_metrics;
};
StatusTables StudyStatus(const StudyData& study);

Table BestRuns(const StudyData& study, const std::string& metric, bool minimize, size_t top);
Table Pivot(const StudyData& study, const std::string& metric, const std::string& row_param,
            const std::string& column_param);
Table Curve(const StudyData& study, const std::string& metric,
            const std::vector<int64_t>& run_numbers);
// Runs (by id, possibly from different studies): parameters that differ, then final metrics.
Table CompareRuns(Store& store, const std::vector<int64_t>& run_ids);
// Every run with all its parameters and final metrics (for CSV/JSONL export).
Table ExportRuns(const StudyData& study);
// A metric's full history: run, step, value.
Table ExportHistory(const StudyData& study, const std::string& metric);

}  // namespace pipeline::report
