#include "pipeline/cluster/cluster_merge.h"

#include <sqlite3.h>

#include <map>
#include <set>

#include "pipeline/clock.h"
#include "pipeline/cluster/cluster_status.h"
#include "pipeline/cluster/cluster_task.h"
#include "pipeline/errors.h"
#include "pipeline/store.h"

namespace pipeline {
namespace {

constexpr size_t kTasksPerTransaction = 256;

// The shard's metric rows, in the order the task logged them.
std::vector<MetricRow> ReadShard(const std::string& path, const std::string& key) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw StoreError("cannot open the shard " + path + ": " + why);
  }
  std::vector<MetricRow> rows;
  sqlite3_stmt* select = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name, step, value, wall_time FROM metrics ORDER BY rowid",
                         -1, &select, nullptr) != SQLITE_OK) {
    const std::string why = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw StoreError("the shard " + path + " is not a task shard: " + why);
  }
  while (sqlite3_step(select) == SQLITE_ROW) {
    MetricRow row;
    row.stage_key = key;
    row.name = reinterpret_cast<const char*>(sqlite3_column_text(select, 0));
    row.step = sqlite3_column_int64(select, 1);
    row.value = sqlite3_column_double(select, 2);
    row.wall_time = sqlite3_column_double(select, 3);
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(select);
  sqlite3_close(db);
  return rows;
}

// A task that has ended without finishing, as a failure with the best reason there is: what
// Slurm wrote into its log when it ended it (time limit, preemption, cancel), else what its own
// status said, else that it left no status at all.
TaskStatus Unfinished(const ClusterPlan& plan, const std::string& cluster_dir,
                      const std::vector<SubmittedJob>& jobs, const std::string& key,
                      const std::optional<TaskStatus>& status, Clock& clock) {
  TaskStatus failed;
  failed.key = key;
  failed.status = status::kFailed;
  failed.threads = status ? status->threads : plan.threads;
  failed.started_at = status ? status->started_at : clock.WallSeconds();
  failed.finished_at = status ? status->finished_at : failed.started_at;
  const std::optional<TaskLocation> where = LocateTask(plan, jobs, key);
  const std::string log = where ? TaskLogPath(cluster_dir, *where) : "";
  const std::string slurm = where ? SlurmEndLine(log) : "";
  failed.error = "the cluster task did not finish";
  if (!slurm.empty()) {
    failed.error += ": " + slurm;
  } else if (status) {
    failed.error += " (" + status->status + (status->error.empty() ? "" : ": " + status->error) + ")";
  } else {
    failed.error += " and left no status (killed?)";
  }
  if (!log.empty()) failed.error += "; log: " + log;
  failed.error += "; `pipeline submit` again resumes it";
  return failed;
}

}  // namespace

CollectSummary CollectCluster(Store& store, const ClusterPlan& plan, const std::string& cluster_dir,
                              Clock& clock, const CollectOptions& options) {
  CollectSummary summary;
  const std::vector<SubmittedJob> jobs =
      options.final ? ReadSubmittedJobs(cluster_dir) : std::vector<SubmittedJob>{};
  std::vector<std::string> order;  // level by level: inputs before the stages that read them
  for (const auto& level : plan.levels) order.insert(order.end(), level.begin(), level.end());
  std::map<std::string, std::string> failed;  // key → why its dependents are skipped
  for (size_t begin = 0; begin < order.size(); begin += kTasksPerTransaction) {
    Transaction transaction = store.Begin();
    for (size_t i = begin; i < order.size() && i < begin + kTasksPerTransaction; ++i) {
      const std::string& key = order[i];
      const ClusterTask& task = plan.tasks.at(key);
      std::string blocked;
      for (const std::string& input : task.inputs) {
        if (failed.count(input)) blocked = failed[input];
      }
      const auto row = store.FindStage(key);
      if (!blocked.empty()) {
        if (row && row->status != status::kSkipped) {
          store.StageFinished(key, status::kSkipped, blocked, "", clock.WallSeconds());
        }
        failed[key] = blocked;
        continue;
      }
      std::optional<TaskStatus> done = ReadTaskStatus(cluster_dir, key);
      // Skipped without a failed input: written while an input had not finished; not settled.
      if (!done || done->status == status::kInterrupted || done->status == status::kSkipped) {
        if (!options.final) {
          ++summary.waiting;
          continue;
        }
        done = Unfinished(plan, cluster_dir, jobs, key, done, clock);
      }
      if (done->status == status::kFailed) {
        ++summary.failed;
        if (!row || row->status != status::kFailed) {
          store.StageStarted(key, done->threads, done->started_at);
          store.StageFinished(key, status::kFailed, done->error, "", done->finished_at);
        }
        failed[key] = "input stage '" + task.stage_name + "' failed";
        continue;
      }
      if (row && row->status == status::kDone && row->output_hash == done->output_hash) {
        ++summary.already;
        continue;
      }
      store.StageStarted(key, done->threads, done->started_at);  // clears an earlier attempt
      for (const MetricRow& metric : ReadShard(ShardPath(cluster_dir, key), key)) {
        store.InsertMetric(metric);
      }
      for (const CommittedFile& file : done->files) {
        const size_t dot = file.name.rfind('.');
        store.InsertArtifact({key, dot == std::string::npos ? "file" : file.name.substr(dot + 1),
                              file.name, file.path, file.content_hash, file.bytes});
      }
      store.StageFinished(key, status::kDone, "", done->output_hash, done->finished_at);
      ++summary.merged;
    }
    transaction.Commit();
  }
  // Runs: done when every stage is, failed once one failed or was skipped.
  Transaction transaction = store.Begin();
  for (const ClusterRun& run : plan.runs) {
    std::string error;
    bool all_done = true;
    double first_start = 0;
    for (size_t s = 0; s < run.keys.size(); ++s) {
      const auto row = store.FindStage(run.keys[s]);
      if (!row || row->status != status::kDone) all_done = false;
      if (row && (row->status == status::kFailed || row->status == status::kSkipped) &&
          error.empty()) {
        error = row->status == status::kFailed
                    ? "stage '" + plan.tasks.at(run.keys[s]).stage_name + "' failed: " + row->error
                    : "skipped: " + row->error;
      }
      if (row && row->started_at > 0 && (first_start == 0 || row->started_at < first_start)) {
        first_start = row->started_at;
      }
    }
    const auto current = store.LoadRun(run.id);
    if (!current) throw StoreError("the plan names run " + std::to_string(run.id) +
                                   ", which is not in " + store.path());
    const std::string outcome = all_done ? status::kDone : !error.empty() ? status::kFailed : "";
    if (outcome.empty()) {
      ++summary.runs_waiting;
      continue;
    }
    outcome == status::kDone ? ++summary.runs_done : ++summary.runs_failed;
    if (current->status == outcome) continue;
    if (first_start > 0) store.RunStarted(run.id, first_start);
    store.RunFinished(run.id, outcome, error, clock.WallSeconds());
  }
  transaction.Commit();
  return summary;
}

}  // namespace pipeline
