// Implementation notes: the shard is written in full to a temporary file and renamed into place,
// so a shard under its final name is complete; the status file follows the same way, after the
// shard, so "status done" implies the shard and the cache entry exist.

#include "pipeline/cluster/cluster_task.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "pipeline/clock.h"
#include "pipeline/errors.h"
#include "pipeline/executor.h"
#include "pipeline/stage_registry.h"
#include "pipeline/store.h"

namespace pipeline {
namespace {

namespace fs = std::filesystem;

struct Row {
  std::string name;
  int64_t step;
  double value;
  double wall_time;
};

class CollectingSink : public MetricSink {
 public:
  void LogMetric(const std::string& name, int64_t step, double value, double wall) override {
    std::lock_guard<std::mutex> lock(mutex_);
    rows_.push_back({name, step, value, wall});
  }
  std::vector<Row> rows() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return rows_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Row> rows_;
};

void Check(int rc, sqlite3* db, const std::string& path) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE) return;
  throw StoreError("cannot write the shard " + path + ": " + sqlite3_errmsg(db));
}

// The task's metrics as a small SQLite file (rollback journal: no -wal/-shm beside it, safe on
// a shared file system written by one process).
void WriteShard(const std::string& path, const std::vector<Row>& rows) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  fs::remove(temp, ec);
  sqlite3* db = nullptr;
  if (sqlite3_open(temp.c_str(), &db) != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw StoreError("cannot create the shard " + temp + ": " + why);
  }
  try {
    Check(sqlite3_exec(db,
                       "PRAGMA journal_mode = DELETE; BEGIN;"
                       "CREATE TABLE metrics (name TEXT NOT NULL, step INTEGER NOT NULL, "
                       "value REAL, wall_time REAL NOT NULL);",
                       nullptr, nullptr, nullptr),
          db, temp);
    sqlite3_stmt* insert = nullptr;
    Check(sqlite3_prepare_v2(db, "INSERT INTO metrics VALUES (?1, ?2, ?3, ?4)", -1, &insert,
                             nullptr),
          db, temp);
    for (const Row& row : rows) {
      sqlite3_bind_text(insert, 1, row.name.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert, 2, row.step);
      sqlite3_bind_double(insert, 3, row.value);
      sqlite3_bind_double(insert, 4, row.wall_time);
      const int rc = sqlite3_step(insert);
      sqlite3_reset(insert);
      if (rc != SQLITE_DONE) {
        sqlite3_finalize(insert);
        Check(rc, db, temp);
      }
    }
    sqlite3_finalize(insert);
    Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, temp);
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
  sqlite3_close(db);
  fs::rename(temp, path, ec);
  if (ec) throw StoreError("cannot move " + temp + " to " + path + ": " + ec.message());
}

void WriteStatus(const std::string& path, const TaskStatus& status) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp);
    out << status.ToJson().dump() << "\n";
    if (!out) throw StoreError("cannot write " + temp);
  }
  fs::rename(temp, path, ec);
  if (ec) throw StoreError("cannot move " + temp + " to " + path + ": " + ec.message());
}

// Why the task cannot run: an input (of this plan) that is not in the cache because it failed,
// was skipped, or has not finished (killed, out of time, or its array has not run). "" if every
// input is there.
std::string BlockingInput(const ClusterPlan& plan, const std::string& cluster_dir,
                          const ClusterTask& task, const ArtifactCache& cache) {
  for (const std::string& input : task.inputs) {
    if (cache.Has(input)) continue;
    auto upstream = plan.tasks.find(input);
    const std::string name =
        upstream == plan.tasks.end() ? input.substr(0, 12) : upstream->second.stage_name;
    const std::optional<TaskStatus> status = ReadTaskStatus(cluster_dir, input);
    if (status && (status->status == status::kFailed || status->status == status::kSkipped)) {
      return "input stage '" + name + "' " + status->status;
    }
    return "input stage '" + name + "' has not finished (" +
           (status ? status->status + ": " + status->error : std::string("no status file")) + ")";
  }
  return "";
}

}  // namespace

Json TaskStatus::ToJson() const {
  Json json = {{"key", key},           {"status", status},
               {"error", error},       {"threads", threads},
               {"started_at", started_at}, {"finished_at", finished_at},
               {"output_hash", output_hash}, {"files", Json::array()}};
  for (const CommittedFile& f : files) {
    json["files"].push_back({{"name", f.name}, {"path", f.path}, {"hash", f.content_hash},
                             {"bytes", f.bytes}});
  }
  return json;
}

TaskStatus TaskStatus::FromJson(const Json& json) {
  TaskStatus s;
  s.key = json.at("key").get<std::string>();
  s.status = json.at("status").get<std::string>();
  s.error = json.at("error").get<std::string>();
  s.threads = json.at("threads").get<int>();
  s.started_at = json.at("started_at").get<double>();
  s.finished_at = json.at("finished_at").get<double>();
  s.output_hash = json.at("output_hash").get<std::string>();
  for (const Json& f : json.at("files")) {
    s.files.push_back({f.at("name").get<std::string>(), f.at("path").get<std::string>(),
                       f.at("hash").get<std::string>(), f.at("bytes").get<int64_t>()});
  }
  return s;
}

std::optional<TaskStatus> ReadTaskStatus(const std::string& cluster_dir, const std::string& key) {
  const std::string path = StatusPath(cluster_dir, key);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  try {
    return TaskStatus::FromJson(Json::parse(text.str()));
  } catch (const std::exception& e) {
    throw StoreError("the task status file " + path + " is malformed: " + e.what());
  }
}

TaskStatus RunClusterTask(const ClusterPlan& plan, const std::string& cluster_dir,
                          const std::string& key, int threads, const StageRegistry& registry,
                          Clock& clock, const std::atomic<bool>* cancel) {
  auto found = plan.tasks.find(key);
  if (found == plan.tasks.end()) throw StoreError("the cluster plan has no task " + key);
  const ClusterTask& task = found->second;
  ArtifactCache cache(plan.cache_dir);
  if (auto earlier = ReadTaskStatus(cluster_dir, key);
      earlier && earlier->status == status::kDone && cache.Has(key)) {
    return *earlier;  // a resubmitted task that had finished
  }
  TaskStatus result;
  result.key = key;
  result.threads = std::max(1, threads);
  result.started_at = clock.WallSeconds();
  CollectingSink sink;
  StageOutcome outcome;
  const StageType* type = registry.Find(task.type);
  if (type == nullptr) {
    outcome.status = status::kFailed;
    outcome.error = "unknown stage type '" + task.type + "' (plan made by another version?)";
  } else {
    StageExecution execution;
    execution.type = type;
    execution.key = key;
    execution.stage_name = task.stage_name;
    execution.params = task.params;
    execution.seed = task.seed;
    execution.threads = result.threads;
    execution.resumable = true;
    const std::string blocked = BlockingInput(plan, cluster_dir, task, cache);
    if (!blocked.empty()) {
      outcome.status = status::kSkipped;
      outcome.error = blocked;
    } else {
      try {
        for (const std::string& input : task.inputs) {
          execution.inputs.push_back(cache.Load(input));
        }
        outcome = ExecuteStage(execution, cache, clock, sink, cancel);
      } catch (const std::exception& e) {
        outcome.status = status::kFailed;
        outcome.error = std::string("cannot load an input: ") + e.what();
      }
    }
  }
  result.status = outcome.status;
  result.error = outcome.status == status::kInterrupted
                     ? "stopped by a signal (Slurm's preemption, time limit or scancel)"
                     : outcome.error;
  result.output_hash = outcome.commit.output_hash;
  result.files = outcome.commit.files;
  result.finished_at = clock.WallSeconds();
  if (result.status == status::kDone) WriteShard(ShardPath(cluster_dir, key), sink.rows());
  WriteStatus(StatusPath(cluster_dir, key), result);
  return result;
}

}  // namespace pipeline
