#include "pipeline/cluster/cluster_status.h"

#include <fstream>
#include <sstream>

#include "pipeline/cluster/cluster_task.h"
#include "pipeline/errors.h"
#include "pipeline/store.h"

namespace pipeline {
namespace {

// squeue prints a pending array that it has not split yet as "12_[0-7%2]" even with -r on some
// versions: every index of the ranges.
void AddQueued(const std::string& id, const std::string& state,
               std::map<std::string, std::string>& queue) {
  const size_t bracket = id.find("_[");
  if (bracket == std::string::npos) {
    queue[id] = state;
    return;
  }
  const std::string job = id.substr(0, bracket);
  std::string ranges = id.substr(bracket + 2);
  ranges = ranges.substr(0, ranges.find_first_of("]%"));
  std::istringstream parts(ranges);
  for (std::string part; std::getline(parts, part, ',');) {
    try {
      const size_t dash = part.find('-');
      const size_t first = std::stoul(part.substr(0, dash));
      const size_t last = dash == std::string::npos ? first : std::stoul(part.substr(dash + 1));
      for (size_t i = first; i <= last && i - first < 1000000; ++i) {
        queue[job + "_" + std::to_string(i)] = state;
      }
    } catch (const std::exception&) {
      // not a range this code knows; that array's tasks count as not running
    }
  }
}

// The array task for the task at `position` of `level`.
std::optional<TaskLocation> LocateAt(const std::vector<SubmittedJob>& jobs, int level,
                                     size_t position) {
  for (const SubmittedJob& job : jobs) {
    if (job.level == level && position >= job.offset && position < job.offset + job.tasks) {
      return TaskLocation{job.id, position - job.offset};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<TaskLocation> LocateTask(const ClusterPlan& plan,
                                       const std::vector<SubmittedJob>& jobs,
                                       const std::string& key) {
  auto task = plan.tasks.find(key);
  if (task == plan.tasks.end()) return std::nullopt;
  const int level = task->second.level;
  if (level < 0 || static_cast<size_t>(level) >= plan.levels.size()) return std::nullopt;
  const std::vector<std::string>& keys = plan.levels[level];
  size_t position = 0;
  while (position < keys.size() && keys[position] != key) ++position;
  if (position == keys.size()) return std::nullopt;
  return LocateAt(jobs, level, position);
}

std::string TaskLogPath(const std::string& cluster_dir, const TaskLocation& where) {
  return cluster_dir + "/logs/" + where.Name() + ".out";
}

std::string SlurmEndLine(const std::string& log_path) {
  std::ifstream in(log_path);
  std::string found;
  for (std::string line; std::getline(in, line);) {
    const size_t open = line.find("*** ");
    const size_t close = line.rfind(" ***");
    if (open == std::string::npos || close == std::string::npos || close <= open) continue;
    const std::string inner = line.substr(open + 4, close - open - 4);
    if (inner.find("CANCELLED") != std::string::npos || inner.find("DUE TO") != std::string::npos) {
      found = inner;  // the last one: a requeued task's log holds each attempt's
    }
  }
  return found;
}

std::map<std::string, std::string> SlurmQueue(const std::vector<SubmittedJob>& jobs,
                                              const CommandRunner& run) {
  std::map<std::string, std::string> queue;
  std::string ids;
  for (const SubmittedJob& job : jobs) ids += (ids.empty() ? "" : ",") + job.id;
  if (ids.empty()) return queue;
  const auto [code, output] = run({"squeue", "-h", "-r", "-j", ids, "-o", "%i %T"});
  if (code != 0) {
    // Slurm forgets ended jobs; asking for one of them only is an error, not an outage.
    if (output.find("Invalid job id") != std::string::npos) return queue;
    throw ClusterError("`squeue` failed (is Slurm reachable from here?): " + output);
  }
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string id, state;
    if (words >> id >> state) AddQueued(id, state, queue);
  }
  return queue;
}

ClusterProgress ReadClusterProgress(const ClusterPlan& plan, const std::string& cluster_dir,
                                    const std::vector<SubmittedJob>& jobs,
                                    const std::map<std::string, std::string>& queue) {
  ClusterProgress progress;
  std::map<std::string, size_t> row_of;
  for (const SubmittedJob& job : jobs) {
    for (size_t i = 0; i < job.tasks; ++i) {
      progress.in_queue += queue.count(job.id + "_" + std::to_string(i));
    }
  }
  for (size_t level = 0; level < plan.levels.size(); ++level) {
    for (size_t position = 0; position < plan.levels[level].size(); ++position) {
      const std::string& key = plan.levels[level][position];
      const ClusterTask& task = plan.tasks.at(key);
      auto [it, added] = row_of.emplace(task.stage_name, progress.stages.size());
      if (added) progress.stages.push_back({task.stage_name});
      StageProgress& row = progress.stages[it->second];
      ++row.tasks;
      // By position, not LocateTask's search of the level: status stays linear in the tasks.
      const std::optional<TaskLocation> where = LocateAt(jobs, static_cast<int>(level), position);
      std::string state;
      if (where) {
        auto queued = queue.find(where->Name());
        if (queued != queue.end()) state = queued->second;
      }
      const std::string label = "  " + task.stage_name + " " + key.substr(0, 12) +
                                (where ? " (task " + where->Name() + ")" : std::string()) + ": ";
      // A task in the queue is running again (requeued) or waiting: its old status is history.
      const std::optional<TaskStatus> status =
          state.empty() ? ReadTaskStatus(cluster_dir, key) : std::nullopt;
      if (!state.empty()) {
        (state == "RUNNING" || state == "COMPLETING" || state == "CONFIGURING") ? ++row.running
                                                                                : ++row.queued;
      } else if (status && status->status == status::kDone) {
        ++row.done;
      } else if (status && status->status == status::kFailed) {
        ++row.failed;
        progress.problems.push_back(label + "failed: " + status->error);
      } else if (status && status->status == status::kSkipped) {
        ++row.skipped;
        progress.problems.push_back(label + "skipped: " + status->error);
      } else if (status && status->status == status::kInterrupted) {
        ++row.interrupted;
        const std::string why = where ? SlurmEndLine(TaskLogPath(cluster_dir, *where)) : "";
        progress.problems.push_back(label + "interrupted" + (why.empty() ? "" : ": " + why));
      } else {
        ++row.not_running;
        const std::string why = where ? SlurmEndLine(TaskLogPath(cluster_dir, *where)) : "";
        progress.problems.push_back(
            label + "not in the queue and no status" +
            (why.empty() ? std::string(" (killed, or its array was cancelled?)") : ": " + why));
      }
    }
  }
  return progress;
}

}  // namespace pipeline
