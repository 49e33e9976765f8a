#include "pipeline/status_printer.h"

#include <algorithm>
#include <cmath>

#include "pipeline/clock.h"
#include "pipeline/stage.h"
#include "pipeline/store.h"

namespace pipeline {
namespace {

std::string FormatSeconds(double seconds) {
  char buf[32];
  const int s = static_cast<int>(std::lround(seconds));
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%dh%02dm", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  }
  return buf;
}

}  // namespace

StatusPrinter::StatusPrinter(const Dag& dag, size_t runs_to_finish, size_t stages_to_run,
                             Clock& clock, FILE* out, bool tty)
    : dag_(dag),
      runs_total_(runs_to_finish),
      stages_total_(stages_to_run),
      clock_(clock),
      out_(out),
      tty_(tty),
      start_(clock.MonotonicSeconds()) {
  FindVarying();
}

// The parameters that differ between instances of a stage, named in its progress lines.
void StatusPrinter::FindVarying() {
  varying_.clear();
  std::map<std::string, const DagNode*> first;
  for (const DagNode& node : dag_.nodes()) {
    auto [it, inserted] = first.emplace(node.stage_name, &node);
    if (inserted) continue;
    std::vector<std::string>& keys = varying_[node.stage_name];
    for (auto p = node.params.begin(); p != node.params.end(); ++p) {
      if (it->second->params.value(p.key(), Json()) != p.value() &&
          std::find(keys.begin(), keys.end(), p.key()) == keys.end()) {
        keys.push_back(p.key());
      }
    }
  }
}

std::string StatusPrinter::Describe(const DagNode& node) const {
  // The stage name plus the parameters that vary between its instances.
  std::string text = node.stage_name;
  auto it = varying_.find(node.stage_name);
  if (it == varying_.end() || it->second.empty()) return text;
  text += "(";
  for (size_t i = 0; i < it->second.size(); ++i) {
    const Json value = node.params.value(it->second[i], Json());
    std::string shown = value.dump();
    // Long values (a network's layer list, an optimiser object) would fill the line.
    if (shown.size() > 48) {
      shown = value.is_array() ? "[" + std::to_string(value.size()) + " items]"
                               : shown.substr(0, 45) + "...";
    }
    text += (i ? "," : "") + it->second[i] + "=" + shown;
  }
  return text + ")";
}

void StatusPrinter::OnStageStarted(const DagNode& node, int threads) {
  running_[node.key] = Describe(node);
  if (tty_) Redraw();
}

void StatusPrinter::OnStageFinished(const DagNode& node, const StageOutcome& outcome) {
  running_.erase(node.key);
  ++stages_finished_;
  if (!tty_ || outcome.status != status::kDone) {
    if (tty_) std::fprintf(out_, "\r\033[K");
    std::fprintf(out_, "[%zu/%zu stages] %s %s in %s%s%s\n", stages_finished_, stages_total_,
                 Describe(node).c_str(), outcome.status.c_str(),
                 FormatSeconds(outcome.seconds).c_str(), outcome.error.empty() ? "" : ": ",
                 outcome.error.c_str());
  }
  if (tty_) Redraw();
  std::fflush(out_);
}

void StatusPrinter::OnWorkAdded(size_t runs, size_t stages) {
  runs_total_ += runs;
  stages_total_ += stages;
  FindVarying();
}

void StatusPrinter::OnRunFinished(size_t run_index, const std::string& status) {
  ++runs_finished_;
  if (!tty_) {
    std::fprintf(out_, "[%zu/%zu runs] run %zu %s\n", runs_finished_, runs_total_, run_index + 1,
                 status.c_str());
    std::fflush(out_);
  }
}

void StatusPrinter::Redraw() {
  const double elapsed = clock_.MonotonicSeconds() - start_;
  std::string line = "[" + std::to_string(runs_finished_) + "/" + std::to_string(runs_total_) +
                     " runs, " + std::to_string(stages_finished_) + "/" +
                     std::to_string(stages_total_) + " stages] " + FormatSeconds(elapsed);
  if (stages_finished_ > 0 && stages_finished_ < stages_total_) {
    const double eta = elapsed / stages_finished_ * (stages_total_ - stages_finished_);
    line += ", ETA " + FormatSeconds(eta);
  }
  if (!running_.empty()) {
    line += " | running:";
    for (const auto& [key, description] : running_) line += " " + description;
  }
  if (line.size() > 150) line = line.substr(0, 147) + "...";
  std::fprintf(out_, "\r\033[K%s", line.c_str());
  std::fflush(out_);
}

void StatusPrinter::Done() {
  if (tty_) std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
}

}  // namespace pipeline
