#pragma once
// Reproduce: re-executes every stage of one stored run from what the database recorded (stage
// types, resolved parameters, the study seed, each stage's thread share), in a scratch cache,
// and compares each stage's output file hash and every metric value bit for bit with the
// stored ones.

#include <cstdio>
#include <string>
#include <vector>

namespace pipeline {

class Clock;
class StageRegistry;
class Store;

struct StageComparison {
  std::string stage;
  std::string key;
  bool output_identical = false;
  size_t metrics_compared = 0;
  size_t metrics_differing = 0;
  std::string detail;  // first difference, or why the stage could not be compared
  // The stored stage was pruned by a search: it is re-run to the epoch it stopped at, and its
  // metrics up to there are compared (it has no output).
  bool pruned = false;
  // Downstream of a pruned stage in a pruned run: nothing was stored, nothing to compare.
  bool not_run = false;
  bool identical() const {
    if (not_run) return true;
    return (output_identical || pruned) && metrics_differing == 0 && detail.empty();
  }
};

struct ReproduceReport {
  std::vector<StageComparison> stages;
  bool identical() const;
  std::string first_difference() const;  // stage name, or "" when all identical
};

// Throws StoreError for an unknown run. Progress lines go to `out`. `results_cache` is where
// the outputs named by stage-reference parameters (another run's checkpoint) are read.
ReproduceReport ReproduceRun(Store& store, int64_t run_id, const StageRegistry& registry,
                             Clock& clock, FILE* out, const std::string& results_cache);

}  // namespace pipeline
