#pragma once
// StatusPrinter: progress of a running study on the terminal (ninja's status_printer). On a TTY
// one line is redrawn in place — runs done/total, the stages running now, the ETA — and
// finished runs scroll above it; otherwise each finished stage and run is a plain line, which
// suits log files of overnight sweeps. Thread-safe through the scheduler (one call at a time).

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "pipeline/scheduler.h"

namespace pipeline {

class Clock;

class StatusPrinter : public ProgressReporter {
 public:
  StatusPrinter(const Dag& dag, size_t runs_to_finish, size_t stages_to_run, Clock& clock,
                FILE* out, bool tty);
  void OnStageStarted(const DagNode& node, int threads) override;
  void OnStageFinished(const DagNode& node, const StageOutcome& outcome) override;
  void OnRunFinished(size_t run_index, const std::string& status) override;
  void OnWorkAdded(size_t runs, size_t stages) override;
  void Done();  // clears the live line

 private:
  std::string Describe(const DagNode& node) const;
  void FindVarying();
  void Redraw();

  const Dag& dag_;
  size_t runs_total_;
  size_t stages_total_;
  size_t runs_finished_ = 0;
  size_t stages_finished_ = 0;
  Clock& clock_;
  FILE* out_;
  bool tty_;
  double start_;
  std::map<std::string, std::string> running_;  // key → description
  std::map<std::string, std::vector<std::string>> varying_;  // stage → params that vary
};

}  // namespace pipeline
